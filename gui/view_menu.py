"""View ▸ Theme: System (follow the desktop's colour scheme), Light or Dark.

The widgets take the theme's palette (Qt's Fusion style, whose colours come from the
palette); the plots (matplotlib figures) take matching colours: the figures on screen are
restyled and redrawn, and those drawn later take them from matplotlib's settings. Under
System the window follows the desktop when its colour scheme changes (Qt ≥ 6.5).
"""

from __future__ import annotations

import matplotlib
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

THEMES = {"system": "&System", "light": "&Light", "dark": "&Dark"}
#: Figure colours: background, axes background, text and ticks, frame.
FIGURE_COLOURS = {False: ("#ffffff", "#ffffff", "#222222", "#444444"),
                  True: ("#2b2b2b", "#232323", "#e6e6e6", "#9a9a9a")}

_system_look: tuple | None = None  # the style and palette the desktop gave, for System


def system_is_dark() -> bool:
    hints = QGuiApplication.styleHints()
    scheme = getattr(hints, "colorScheme", None)
    return scheme is not None and scheme() == Qt.ColorScheme.Dark


def dark_palette() -> QPalette:
    p = QPalette()
    colours = {
        QPalette.ColorRole.Window: "#2d2d2d", QPalette.ColorRole.WindowText: "#e6e6e6",
        QPalette.ColorRole.Base: "#1f1f1f", QPalette.ColorRole.AlternateBase: "#2a2a2a",
        QPalette.ColorRole.ToolTipBase: "#3a3a3a", QPalette.ColorRole.ToolTipText: "#e6e6e6",
        QPalette.ColorRole.Text: "#e6e6e6", QPalette.ColorRole.Button: "#3a3a3a",
        QPalette.ColorRole.ButtonText: "#e6e6e6", QPalette.ColorRole.BrightText: "#ff6b6b",
        QPalette.ColorRole.Link: "#6fb3e8", QPalette.ColorRole.Highlight: "#2f7fc1",
        QPalette.ColorRole.HighlightedText: "#ffffff", QPalette.ColorRole.PlaceholderText: "#8c8c8c",
        QPalette.ColorRole.Light: "#505050", QPalette.ColorRole.Midlight: "#444444",
        QPalette.ColorRole.Mid: "#333333", QPalette.ColorRole.Dark: "#1a1a1a", QPalette.ColorRole.Shadow: "#000000",
    }
    for role, colour in colours.items():
        p.setColor(role, QColor(colour))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7a7a7a"))
    return p


def style_figure(figure, dark: bool) -> None:
    """Gives a figure on screen the theme's colours (its curves keep theirs)."""
    paper, axes, ink, frame = FIGURE_COLOURS[dark]
    figure.set_facecolor(paper)
    for ax in figure.axes:
        ax.set_facecolor(axes)
        ax.tick_params(colors=ink, which="both")
        for text in (ax.xaxis.label, ax.yaxis.label, ax.title):
            text.set_color(ink)
        for spine in ax.spines.values():
            spine.set_edgecolor(frame)
        legend = ax.get_legend()
        if legend is not None:
            legend.get_frame().set_facecolor(axes)
            legend.get_frame().set_edgecolor(frame)
            for text in legend.get_texts():
                text.set_color(ink)


def apply_theme(theme: str, window=None) -> bool:
    """Applies ``theme`` ("system", "light" or "dark") to the application, and to the
    figures of ``window``; returns whether the result is dark."""
    global _system_look
    if theme not in THEMES:
        raise ValueError(f"theme must be one of {', '.join(THEMES)}. Received: {theme!r}")
    app = QApplication.instance()
    if _system_look is None:
        _system_look = (app.style().name(), QPalette(app.palette()))
    if theme == "system":
        style, palette = _system_look
        app.setStyle(style)
        app.setPalette(palette)
        dark = system_is_dark()
    else:
        dark = theme == "dark"
        app.setStyle("Fusion")
        app.setPalette(dark_palette() if dark else app.style().standardPalette())
    paper, axes, ink, frame = FIGURE_COLOURS[dark]
    matplotlib.rcParams.update({
        "figure.facecolor": paper, "axes.facecolor": axes, "axes.edgecolor": frame, "axes.labelcolor": ink,
        "axes.titlecolor": ink, "text.color": ink, "xtick.color": ink, "ytick.color": ink,
        "legend.facecolor": axes, "legend.edgecolor": frame,
    })
    if window is not None:
        from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg

        for canvas in window.findChildren(FigureCanvasQTAgg):
            style_figure(canvas.figure, dark)
            canvas.draw_idle()
    return dark


class ViewMenu:
    """The View menu of :class:`gui.main_window.MainWindow` (mixed into it)."""

    theme = "system"

    def view_menu(self, menu_bar) -> None:
        view = menu_bar.addMenu("&View")
        themes = view.addMenu("&Theme")
        group = QActionGroup(self)
        self.theme_actions = {}
        for key, text in THEMES.items():
            action = QAction(text, self, checkable=True)
            action.setToolTip({"system": "Follow the desktop's light or dark colour scheme.",
                               "light": "Dark text on light backgrounds.",
                               "dark": "Light text on dark backgrounds, the plots too."}[key])
            action.triggered.connect(lambda _checked=False, k=key: self.set_theme(k))
            group.addAction(action)
            themes.addAction(action)
            self.theme_actions[key] = action
        self.theme_actions[self.theme].setChecked(True)
        hints = QGuiApplication.styleHints()
        if hasattr(hints, "colorSchemeChanged"):
            hints.colorSchemeChanged.connect(self._on_system_scheme)

    def set_theme(self, theme: str) -> None:
        self.theme = theme
        self.theme_actions[theme].setChecked(True)
        self.dark = apply_theme(theme, self)

    def _on_system_scheme(self, _scheme=None) -> None:
        if self.theme == "system" and not getattr(self, "_shut_down", False):
            self.dark = apply_theme("system", self)
