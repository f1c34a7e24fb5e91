"""The conversation engine over turns: safeguarding first, corrections, sessions and export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpmate.assistant.engine import Engine, clean_message
from helpmate.assistant.export import export_markdown
from helpmate.assistant.runtime import Runtime
from helpmate.assistant.safeguarding import Alert
from helpmate.assistant.sessions import Session, SessionStore, situation_from_json
from helpmate.errors import HelpmateError


def new_session(runtime: Runtime, tmp_path: Path) -> tuple[SessionStore, Session, Engine]:
    """A new saved session with an engine over its situation, as the chat starts one."""
    store = SessionStore(tmp_path / "sessions")
    session = store.new()
    return store, session, Engine(runtime.suggester, session.situation)


def test_alerts_come_first_accumulate_and_are_never_dropped(runtime) -> None:  # type: ignore[no-untyped-def]
    engine = Engine(runtime.suggester)
    first = engine.turn("Her partner hit her last night and she's scared to go home.")
    assert [a.category for a in first.new_alerts] == ["domestic-abuse"]
    assert first.reply.startswith("SAFEGUARDING URGENT: Domestic abuse")
    assert "01632 960149" in first.reply or "999" in first.reply
    later = engine.turn("She loves gardening and used to have an allotment.")
    assert later.new_alerts == [] and "domestic-abuse" in [a.category for a in later.suggestion.safeguarding]


def test_a_correction_sticks_for_the_rest_of_the_session(runtime) -> None:  # type: ignore[no-untyped-def]
    engine = Engine(runtime.suggester)
    engine.turn("Widowed last spring, grieving, the funeral was hard; he misses his wife terribly.")
    assert "bereavement" in [n.need.id for n in engine.plan().needs]
    corrected = engine.turn("not bereavement, his wife is alive")
    assert corrected.corrected == ["bereavement"]
    engine.turn("He still talks about the funeral and grieving.")
    assert "bereavement" not in [n.need.id for n in engine.plan().needs]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "x" * 100_000,
        "\x00\x07\x1b[31mred\x1b[0m help",
        "Она одинока и не выходит из дома",
        "🙂" * 500,
    ],
)
def test_odd_input_gets_a_sensible_answer_and_nothing_crashes(runtime, text: str) -> None:  # type: ignore[no-untyped-def]
    turn = Engine(runtime.suggester).turn(text)
    assert isinstance(turn.reply, str) and turn.reply
    assert "\x00" not in turn.message and "\x1b" not in turn.message and len(turn.message) <= 100_000


def test_clean_message_strips_control_characters() -> None:
    assert clean_message("a\x00b\x1b[0m  c\n d") == "a b [0m c d"


def test_every_turn_is_saved_and_a_session_resumes(runtime, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store, session, engine = new_session(runtime, tmp_path)
    for message in [
        "Lonely since moving to Northgate.",
        "He'd love to sing again.",
        "She said she wants to die.",
    ]:
        store.record_turn(session, engine.turn(message))
        saved = json.loads(store.path(session.id).read_text())
        assert saved["turns"][-1]["message"] == message  # on disk before the next turn
    resumed = store.load(session.id)
    assert resumed.situation.messages == session.situation.messages
    assert [a.category for a in resumed.situation.alerts] == ["suicide-self-harm"]
    assert [s.id for s in store.list()] == [session.id]
    assert not list((tmp_path / "sessions").glob("*.tmp"))


def test_exports_for_the_worker_and_the_citizen(runtime, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store, session, engine = new_session(runtime, tmp_path)
    store.record_turn(
        session, engine.turn("Mum of a toddler, money ran out, no food till Friday, feels alone.")
    )
    plan = engine.plan()
    worker = export_markdown(session, plan)
    citizen = export_markdown(session, plan, citizen=True)
    first = plan.services[0].record
    assert f"`{first.id}`" in worker and "## Plan" in worker and "Contact:" in worker
    assert first.name in citizen and "`" not in citizen and "safeguarding" not in citizen.lower()


def test_the_situation_holds_what_matters_strengths_and_facts_over_turns(runtime) -> None:  # type: ignore[no-untyped-def]
    engine = Engine(runtime.suggester)
    engine.turn("Mr Okafor, 78, lives alone since his wife died. What matters to him is staying in his home.")
    engine.turn(
        "Retired joiner, he perked up at the idea of mending things for others. His daughter helps him."
    )
    situation = engine.situation
    assert situation.facts["age"] == "78"
    assert "lives alone" in situation.facts["household"]
    assert situation.facts["caring"].startswith("cared for")
    assert any("staying in his home" in m for m in situation.what_matters)
    assert any("joiner" in s.lower() for s in situation.strengths)
    assert any("mending things" in s for s in situation.strengths)
    # Denied feelings are not strengths; a later turn adds, it never wipes what was said.
    engine.turn("He does not enjoy anything at the moment.")
    assert not any("enjoy" in s for s in situation.strengths) and any(
        "joiner" in s.lower() for s in situation.strengths
    )


def test_the_plan_is_grouped_per_need_with_no_record_repeated(runtime) -> None:  # type: ignore[no-untyped-def]
    engine = Engine(runtime.suggester)
    turn = engine.turn(
        "Mum of a toddler, money ran out, no food till Friday, behind on the electric, feels alone since the move."
    )
    groups = turn.suggestion.groups
    need_groups = [g for g in groups if g.need_id]
    assert len(need_groups) >= 2 and [g.need_id for g in need_groups] == [
        n.need.id for n in turn.suggestion.needs
    ]
    ids = [h.record.id for g in groups for h in g.services + g.community]
    assert len(ids) == len(set(ids)), "a record appears under two needs"
    shown = {h.record.id for h in turn.suggestion.services + turn.suggestion.community}
    assert shown <= set(ids), "every suggestion in the flat lists is in the plan"
    for group in groups:
        assert all(h.record.track == "service" for h in group.services)
        assert all(h.record.track == "community" for h in group.community)
    # Urgent needs (no food) come before the rest, by the taxonomy's urgency.
    urgency = [
        g.need_id and runtime.index.needs[[n.id for n in runtime.index.needs].index(g.need_id)].urgency
        for g in need_groups
    ]
    assert urgency == sorted(urgency)


def test_a_safeguarding_alert_puts_its_need_first_and_what_matters_comes_next(runtime) -> None:  # type: ignore[no-untyped-def]
    engine = Engine(runtime.suggester)
    turn = engine.turn(
        "Lonely since the move and struggling with debts. Her partner hit her last night and she is scared."
    )
    assert turn.suggestion.needs[0].need.id == "domestic-abuse" and turn.suggestion.groups[0].urgent
    engine = Engine(runtime.suggester)
    needs = engine.turn(
        "Lonely since the move, behind on the council tax. What matters most to her is making friends."
    ).suggestion.needs
    assert needs[0].matters and needs[0].need.id == "loneliness", [(n.need.id, n.matters) for n in needs]


def test_an_alerts_help_opens_both_lists_whatever_else_the_message_is_about(runtime) -> None:  # type: ignore[no-untyped-def]
    """A threat to kill with a knife, said beside a baby's needs: the flat lists a worker reads
    first open with the domestic-abuse help, as the plan does (sample case wr-08)."""
    suggestion = suggestion_of(
        runtime,
        "A young mum came in with her baby, eight months old, asking about baby groups and nappies. "
        "Her partner told her this morning he'd kill her, and there's a knife in his car.",
    )
    assert suggestion.safeguarding, "the threat raises an alert"
    for hits in (suggestion.services, suggestion.community):
        assert hits and "domestic-abuse" in hits[0].record.all_needs(), [h.record.id for h in hits]
    assert len(suggestion.services) <= 5 and len(suggestion.community) <= 5


def suggestion_of(runtime, text: str):  # type: ignore[no-untyped-def]
    return Engine(runtime.suggester).turn(text).suggestion


def test_worker_edits_stick_and_steer_the_plan(runtime) -> None:  # type: ignore[no-untyped-def]
    engine = Engine(runtime.suggester)
    engine.turn("Widower, lives alone, days feel endless.")
    before = [h.record.id for h in engine.plan().community]
    plan = engine.edit("strengths", ["keen gardener, grew vegetables on his allotment for forty years"])
    after = [h.record.id for h in plan.community]
    assert after != before, "a strength the worker adds steers the community track"
    assert any("garden" in (h.record.name + h.record.description).lower() for h in plan.community)
    engine.turn("He also used to sing in a choir.")
    assert engine.situation.strengths[0].startswith("keen gardener"), "the worker's edit is kept"
    plan = engine.edit("needs", ["loneliness", "money-benefits"])
    assert {n.need.id for n in plan.needs} == {"loneliness", "money-benefits"}
    engine.turn("Days still feel long.")
    assert "money-benefits" in {n.need.id for n in engine.plan().needs}, "an added need sticks"
    plan = engine.edit("facts", {"age": "91", "household": "lives alone"})
    assert plan.age == 91 and engine.situation.facts == {"age": "91", "household": "lives alone"}
    with pytest.raises(HelpmateError):
        engine.edit("needs", ["not-a-need"])


def test_pinned_records_stay_and_dismissed_ones_go_with_their_reason(runtime, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store, session, engine = new_session(runtime, tmp_path)
    store.record_turn(session, engine.turn("Lonely widower, 80, struggling to pay the bills."))
    first = engine.plan().community[0].record.id
    elsewhere = next(r.id for r in runtime.index.records if r.track == "service" and "dementia" in r.needs)
    plan = engine.dismiss(first, "she went once and did not like it")
    assert first not in {h.record.id for g in plan.groups for h in g.services + g.community}
    plan = engine.pin(elsewhere)
    assert elsewhere in {h.record.id for g in plan.groups for h in g.services}
    store.record_turn(session, engine.turn("He is worried about the winter."))
    assert elsewhere in {h.record.id for g in engine.plan().groups for h in g.services}
    assert first not in {h.record.id for g in engine.plan().groups for h in g.community}
    resumed = store.load(session.id)
    assert resumed.situation.dismissed == {first: "she went once and did not like it"}
    assert resumed.situation.pinned == [elsewhere]
    worker = export_markdown(resumed, Engine(runtime.suggester, resumed.situation).plan())
    assert "(pinned)" in worker and "did not like it" in worker
    with pytest.raises(HelpmateError):
        engine.pin("no-such-record")


def test_acknowledging_an_alert_is_saved_and_a_new_alert_shows_again(runtime) -> None:  # type: ignore[no-untyped-def]
    engine = Engine(runtime.suggester)
    engine.turn("Her partner hit her last night.")
    assert len(engine.situation.unacknowledged) == 1
    assert engine.acknowledge() and engine.situation.unacknowledged == []
    engine.turn("He also threatened to kill her if she leaves.")
    assert engine.situation.unacknowledged, "a new alert after an acknowledgement must show again"


def test_sessions_from_before_these_fields_still_load_and_a_later_alert_still_shows() -> None:
    raised = {"category": "domestic-abuse", "level": "urgent", "evidence": "hit her"}
    old = {
        "messages": ["hello"],
        "excluded_needs": [],
        "alerts": [raised],
        "acknowledged": ["domestic-abuse"],
    }
    situation = situation_from_json(old)
    assert situation.messages == ["hello"] and situation.strengths == [] and situation.pinned == []
    assert situation.is_acknowledged(situation.alerts[0]), (
        "the category acknowledged then covers the alert raised then"
    )
    later = Alert.from_json(
        {"category": "domestic-abuse", "level": "urgent", "evidence": "threatened to kill"}
    )
    situation.alerts.append(later)
    assert situation.unacknowledged == [later], "a later alert of the same kind must show"


def test_what_matters_keeps_its_need_in_the_plan_and_orders_it(runtime) -> None:  # type: ignore[no-untyped-def]
    engine = Engine(runtime.suggester)
    turn = engine.turn(
        "Widower, lives alone, days feel endless, behind on his rent and the gas bill. "
        "What matters most to him is getting back to work."
    )
    needs = turn.suggestion.needs
    assert "employment" in [n.need.id for n in needs if n.matters], [(n.need.id, n.matters) for n in needs]
    # Urgent needs (urgency 1: crisis, no food, no home) first, then what matters, then the rest.
    rank = [(n.need.urgency != 1, not n.matters, n.need.urgency) for n in needs]
    assert rank == sorted(rank)


@pytest.mark.parametrize(
    "message",
    [
        "No food in the house and the kids are hungry until Friday.",
        "No suicidal thoughts when I asked, but he is very low and lonely since his wife died.",
        "Not sleeping, not eating properly since the eviction notice.",
    ],
)
def test_a_situation_that_opens_with_no_is_not_a_correction(runtime, message: str) -> None:  # type: ignore[no-untyped-def]
    engine = Engine(runtime.suggester)
    turn = engine.turn(message)
    assert turn.corrected == [] and engine.situation.messages == [message]
    assert engine.situation.excluded_needs == []


def test_a_correction_keeps_the_rest_of_the_message_and_never_outweighs_an_alert(runtime) -> None:  # type: ignore[no-untyped-def]
    engine = Engine(runtime.suggester)
    engine.turn("Very low since the redundancy, can't see the point, struggling with money.")
    turn = engine.turn("not mental health, he is just worried about money and loves fishing")
    assert turn.corrected == ["mental-health"]
    assert engine.situation.messages[-1] == "he is just worried about money and loves fishing"
    assert any("fishing" in s for s in engine.situation.strengths)
    engine.turn("not suicide-crisis")
    later = engine.turn("He told me today he is planning to kill himself this weekend.")
    assert [a.category for a in later.new_alerts] == ["suicide-self-harm"]
    assert later.suggestion.needs[0].need.id == "suicide-crisis", "an alert brings its help back"
    assert later.suggestion.groups[0].urgent and later.suggestion.groups[0].services


def test_the_newest_words_count_when_the_conversation_grows_long(runtime) -> None:  # type: ignore[no-untyped-def]
    engine = Engine(runtime.suggester)
    engine.turn("He is lonely since his wife died and misses the allotment. " * 80)  # a long first paste
    turn = engine.turn("Now he is gambling online every night and owes thousands on credit cards.")
    assert {"gambling", "debt"} & {n.need.id for n in turn.suggestion.needs}


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("He is 2 weeks behind on rent.", None),
        ("She is 3 months pregnant and scared.", None),
        ("He's 6 years behind on his tax return.", None),
        ("She is 45 and wants to get back to work.", 45),
        ("Mr Davies, 84, lives alone.", 84),
    ],
)
def test_durations_are_not_read_as_ages(runtime: Runtime, text: str, age: int | None) -> None:
    assert runtime.suggester.read(text).age == age


def test_a_risk_is_never_read_as_what_matters_or_a_strength(runtime) -> None:  # type: ignore[no-untyped-def]
    engine = Engine(runtime.suggester)
    engine.turn("She says she wants to die. She would like to see her grandchildren more.")
    assert not any("die" in m for m in engine.situation.what_matters + engine.situation.strengths)
    assert any("grandchildren" in m for m in engine.situation.what_matters)


def test_the_citizens_copy_leaves_out_help_for_a_safeguarding_concern(runtime, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store, session, engine = new_session(runtime, tmp_path)
    store.record_turn(
        session, engine.turn("Her partner hit her last night. She is lonely and behind on the rent.")
    )
    plan = engine.plan()
    abuse = [h.record for g in plan.groups if g.urgent for h in g.services + g.community]
    assert abuse, "the worker's plan has help for the concern"
    worker = export_markdown(session, plan)
    citizen = export_markdown(session, plan, citizen=True)
    assert all(r.name in worker for r in abuse) and "leaves out the help" in worker
    assert not any(r.name in citizen for r in abuse)
    assert "domestic" not in citizen.lower() and "refuge" not in citizen.lower()


def test_an_alert_reaches_the_worker_even_when_planning_fails(
    runtime, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    engine = Engine(runtime.suggester)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("index went away")

    monkeypatch.setattr(runtime.suggester, "suggest", broken)
    turn = engine.turn("Her partner hit her last night.")
    assert turn.error and "index went away" in turn.error
    assert (
        turn.reply.startswith("SAFEGUARDING URGENT: Domestic abuse")
        and "the alerts above stand" in turn.reply
    )
    assert engine.situation.unacknowledged and turn.suggestion.safeguarding


def test_a_composer_that_raises_falls_back_to_helpmates_reply(runtime) -> None:  # type: ignore[no-untyped-def]
    class Broken:
        def compose(self, plan: object, on_token: object = None) -> None:
            raise ValueError("bad composer")

    engine = Engine(runtime.suggester, composer=Broken())
    turn = engine.turn("Her partner hit her last night and she is lonely.")
    assert turn.reply.startswith("SAFEGUARDING URGENT") and "language model failed" in turn.reply
    assert "I understood" in turn.reply


def test_acknowledging_covers_only_the_alerts_the_worker_saw(runtime) -> None:  # type: ignore[no-untyped-def]
    engine = Engine(runtime.suggester)
    engine.turn("Her partner hit her last night.")
    seen = [a.key for a in engine.situation.unacknowledged]
    engine.turn("She said she wants to die.")  # raised while the worker was looking at the first
    assert engine.acknowledge(seen) == seen
    assert [a.category for a in engine.situation.unacknowledged] == ["suicide-self-harm"]


def test_damaged_session_files_of_any_shape_are_skipped_in_the_list(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "sessions")
    good = store.new()
    store.save(good)
    for name, text in (("a", "{}"), ("b", "[]"), ("c", "not json"), ("d", '{"id": 1, "situation": 3}')):
        (tmp_path / "sessions" / f"{name}.json").write_text(text)
    assert [s.id for s in store.list()] == [good.id]
    with pytest.raises(HelpmateError):
        store.load("a")


def test_an_alert_on_the_first_message_carries_the_local_route(runtime) -> None:  # type: ignore[no-untyped-def]
    turn = Engine(runtime.suggester).turn("He said everyone would be better off without him.")
    route = turn.new_alerts[0].route
    assert route is not None and "01632" in " ".join([route.urgent, *route.steps]), route


@pytest.mark.parametrize(
    ("text", "gone", "kept"),
    [
        # Over, or turned down: the need is not raised.
        (
            "He's 41, used heroin for years but he's been clean for six years now and doesn't go near "
            "drug services, doesn't need them. He wants to give something back to people on the streets.",
            {"substance-use"},
            {"homelessness", "volunteering"},
        ),
        (
            "Off the drink for five years now and proud of it, all his old mates were drinking pals.",
            {"substance-use"},
            {"physical-activity"},
        ),
        (
            "She's adamant she is not lonely, she's got her church and the grandkids round, so don't "
            "send her to a coffee morning. She needs help with the disability benefit form.",
            {"loneliness"},
            {"money-benefits", "disability"},
        ),
        ("She isn’t lonely, she has good neighbours and her sister pops in daily.", {"loneliness"}, set()),
        (
            "Lost her husband twelve years ago. She has made her peace with it and is not looking for "
            "that kind of support. She'd love to sing in a choir again.",
            {"bereavement"},
            {"creative-arts"},
        ),
        # Still live: a loss that still asks for company, a relapse or a new habit, a new problem,
        # a lonely person asking for company, help for someone else's recovery.
        (
            "Her son took his own life two years ago and she'd like to meet other bereaved parents.",
            set(),
            {"bereavement"},
        ),
        (
            "He was sober for two years but relapsed at Christmas and is drinking again.",
            set(),
            {"substance-use"},
        ),
        (
            "He stopped drinking in January but now he's using cocaine most weekends.",
            set(),
            {"substance-use"},
        ),
        (
            "Her son has been clean for a month, but she is drinking heavily herself and can't cope.",
            set(),
            {"substance-use"},
        ),
        (
            "The flat has been dry for a month since they fixed the leak. Her husband drinks two bottles "
            "of wine a day.",
            set(),
            {"substance-use"},
        ),
        ("She has stopped using the heating because she can’t afford it.", set(), {"fuel-energy"}),
        ("She's lonely since the move and would like a coffee morning nearby.", set(), {"loneliness"}),
        (
            "Since the stroke he can no longer cook for himself, so there's no food in the house.",
            set(),
            {"food"},
        ),
        # Turning down one service, or accepting an illness, never ends the need behind it.
        (
            "Don't send him to the hostel again, he was assaulted there, he's sleeping in a tent by the canal.",
            set(),
            {"homelessness"},
        ),
        (
            "Please don't send her to the foodbank, she's too proud, but she has no food and the electric is off.",
            set(),
            {"food"},
        ),
        (
            "She is not looking for work due to her severe anxiety and panic attacks.",
            set(),
            {"mental-health"},
        ),
        (
            "Mr Ahmed has terminal cancer and weeks to live. He has made his peace with it but his wife "
            "is struggling to cope.",
            set(),
            {"end-of-life"},
        ),
        (
            "He's been in recovery from heroin for four years and wants to train as a peer mentor.",
            {"substance-use"},
            set(),
        ),
        (
            "She has been in recovery from a cocaine addiction for two years and would like to volunteer.",
            {"substance-use"},
            set(),
        ),
        (
            "He's been sober for five years, he never drinks now and wants to volunteer at the food bank.",
            {"substance-use"},
            set(),
        ),
        (
            "She has been in recovery from an addiction to alcohol for two years.",
            {"substance-use"},
            set(),
        ),
        # Someone else using now keeps the problem whatever recovery the sentence speaks of.
        (
            "He's been clean for two years, but his son is using crack and stealing from him.",
            set(),
            {"substance-use"},
        ),
        # A recovery ends only what it speaks of.
        (
            "He's been sober for two years but the debts are piling up and he's scared of losing the flat.",
            {"substance-use"},
            {"debt"},
        ),
        (
            "Clean for two years, but the years of drug use have left him with serious debts and no home.",
            {"substance-use"},
            {"debt", "homelessness"},
        ),
    ],
)
def test_what_is_over_or_turned_down_raises_no_need(
    runtime: Runtime, text: str, gone: set[str], kept: set[str]
) -> None:
    reader = runtime.suggester.reader
    reading = reader.read(text)
    parts = reading.recent_phrases()
    discounts = reader.over(reading, parts)

    def counts(need: str) -> bool:
        """Some phrase still raises the need: one that names it, or any phrase when none does."""
        naming = [
            d for phrase, d in zip(parts, discounts, strict=True) if need in reader.named(phrase.tokens)
        ]
        return any(need not in d for d in naming or discounts)

    assert not [need for need in gone if counts(need)], discounts
    assert all(counts(need) for need in kept), discounts


@pytest.mark.parametrize(
    "correction",
    ["She is not a carer, her son is 2.", "she isn't a carer", "no, she's not caring for anyone"],
)
def test_a_plain_not_a_carer_is_a_correction_and_the_rest_stays(runtime, correction: str) -> None:  # type: ignore[no-untyped-def]
    """The first-hour trial: "not a carer" left "Unpaid carers" in the plan and dropped the rent
    arrears the first message raised."""
    engine = Engine(runtime.suggester)
    first = engine.turn("Behind on her rent, two months of arrears. She cares for her mum who has dementia.")
    found = [n.need.id for n in first.suggestion.needs]
    assert "carers" in found, found
    kept = [n for n in found if n != "carers"]
    engine.turn(correction)
    now = [n.need.id for n in engine.plan().needs]
    assert "carers" not in now, now
    assert set(kept) <= set(now), (kept, now)
    for group in engine.plan().groups:
        assert group.need_id != "carers"


def test_a_reason_quotes_the_words_of_the_need_the_record_is_shown_for(runtime) -> None:  # type: ignore[no-untyped-def]
    """The Men's Shed, shown for making and fixing, quotes "used to be a joiner", not "lonely" or
    "widowed last year", though it is tagged with loneliness too."""
    data = runtime.suggester.suggest(
        "Widowed last year and lonely. He used to be a joiner and misses making things with his hands."
    ).to_json()
    shed = next(i for i in data["services"] + data["community"] if i["id"] == "wr-com-mens-shed")
    assert shed["need"] == "making-fixing" and shed["why"].startswith("“He used to be a joiner"), shed
    for item in data["services"] + data["community"]:
        if item["need"] == "bereavement":
            assert item["why"].startswith("“Widowed last year"), item
