"""The settings screen: area, language model, redaction and theme, returned to the app to save
(``config.save_settings``) and to hand to the engine worker."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, Select, Static, Switch

from helpmate.tui.screens import MODAL_CSS


@dataclass
class SettingsValues:
    area: str | None
    provider: str
    model: str
    redact: bool
    theme: str


class SettingsScreen(ModalScreen[SettingsValues | None]):
    """Area, language model, redaction and theme; saved to the config file by the app."""

    DEFAULT_CSS = (
        MODAL_CSS.format(name="SettingsScreen")
        + """
    SettingsScreen Label { margin-top: 1; }
    SettingsScreen Horizontal { height: auto; }
    """
    )
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="settings.save", priority=True),
        Binding("escape", "cancel", "Cancel", id="settings.cancel"),
    ]
    PROVIDERS = [
        ("none: helpmate's own replies", "none"),
        ("ollama", "ollama"),
        ("openai-compatible server", "openai"),
        ("llamacpp (local GGUF)", "llamacpp"),
    ]

    def __init__(
        self,
        values: SettingsValues,
        areas: list[tuple[str, str]],
        themes: list[str],
        path: str,
        overridden: list[str],
    ) -> None:
        super().__init__()
        self.values = values
        self.areas = areas
        self.themes = themes
        self.path = path
        self.overridden = overridden

    def compose(self) -> ComposeResult:
        v = self.values
        area_options = [(name, slug) for slug, name in self.areas]
        if v.area and v.area not in {slug for slug, _ in self.areas}:
            area_options.append((v.area, v.area))
        with Vertical():
            yield Label(f"Settings, saved to {self.path} (ctrl+s)", classes="title")
            if self.overridden:
                yield Static(
                    "Set by environment variables, which win over the file: " + ", ".join(self.overridden),
                    classes="hint",
                )
            yield Label("Area")
            yield Select(area_options, value=v.area or Select.NULL, prompt="any / not set", id="area")
            yield Label("Language model provider")
            yield Select(self.PROVIDERS, value=v.provider, allow_blank=False, id="provider")
            yield Label("Model name")
            yield Input(v.model, placeholder="e.g. llama3.2 (ollama) or the server's model id", id="model")
            with Horizontal():
                yield Switch(v.redact, id="redact")
                yield Label("Redact personal data before it goes to a model not on this machine")
            yield Label("Theme")
            themes = [(t, t) for t in self.themes]
            yield Select(
                themes,
                value=v.theme if v.theme in self.themes else self.themes[0],
                allow_blank=False,
                id="theme",
            )
            with Horizontal():
                yield Button("Save", id="save", variant="primary")
                yield Button("Cancel", id="cancel")
            yield Footer()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()

    def action_save(self) -> None:
        area = self.query_one("#area", Select).value
        self.dismiss(
            SettingsValues(
                area=area if isinstance(area, str) else None,
                provider=str(self.query_one("#provider", Select).value),
                model=self.query_one("#model", Input).value.strip(),
                redact=self.query_one("#redact", Switch).value,
                theme=str(self.query_one("#theme", Select).value),
            )
        )

    def action_cancel(self) -> None:
        self.dismiss(None)
