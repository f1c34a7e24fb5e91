from helpmate.knowledge.text import clean_text, one_line


def test_html_becomes_readable_text_with_paragraphs_and_lists() -> None:
    raw = "<p>Weekly drop in for people aged&nbsp;50+.</p><p>Activities include:</p><ul><li>tea</li><li>chat</li></ul>"
    assert clean_text(raw) == "Weekly drop in for people aged 50+.\n\nActivities include:\n\n- tea\n- chat"


def test_literal_backslash_n_and_area_tags_are_repaired() -> None:
    assert clean_text("Food pantry.\\n\\nOpen Tuesdays.\\n\\n###MON###") == "Food pantry.\n\nOpen Tuesdays."


def test_cp437_mojibake_from_the_211_feed_is_fixed() -> None:
    assert clean_text("The CouncilGÇÖs GÇ£helpGÇ¥ line GÇô free") == "The Council’s “help” line – free"


def test_cp1252_mojibake_is_fixed() -> None:
    assert clean_text("donâ€™t worry") == "don't worry"


def test_empty_html_is_empty() -> None:
    assert clean_text("<p><br></p>") == ""
    assert clean_text(None) == ""


def test_one_line_cuts_at_a_sentence_when_it_can() -> None:
    text = "A friendly group for older men. We meet on Tuesdays at the hall and make things for the community garden."
    assert one_line(text, 60) == "A friendly group for older men."
