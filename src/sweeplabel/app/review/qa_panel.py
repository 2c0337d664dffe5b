"""QA panel: findings and comments by frame or track, review progress, verdict buttons
and annotation time statistics. Clicking a row jumps to the frame and selects the box."""

from __future__ import annotations

from collections import defaultdict
from typing import Mapping

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QComboBox, QHBoxLayout, QLabel, QSpinBox, QTabWidget, QToolButton,
    QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget,
)

from sweeplabel.assist.checks import Finding, Severity
from sweeplabel.model import Comment, review_progress

from .controller import ReviewController
from .time_stats import format_duration

SEVERITY_RGB = {Severity.ERROR: QColor(230, 70, 70), Severity.WARNING: QColor(230, 170, 40),
                Severity.INFO: QColor(120, 160, 220)}
WAIVED_RGB = QColor(140, 140, 140)
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
PAYLOAD_ROLE = Qt.ItemDataRole.UserRole
FINDING_COLUMNS = ("Severity", "Frame", "Track", "Check", "Message")
COMMENT_COLUMNS = ("State", "Frame", "Track", "Author", "Text")
GROUPS = {"frame": "By frame", "track": "By track", "none": "Flat list"}
SEVERITY_FILTERS = {"all": "All severities", "warning": "Warnings and errors", "error": "Errors only"}


class SortItem(QTreeWidgetItem):
    """Sorts by the SORT_ROLE value of the sort column (numbers as numbers)."""

    def __lt__(self, other: QTreeWidgetItem) -> bool:
        col = self.treeWidget().sortColumn() if self.treeWidget() else 0
        a, b = self.data(col, SORT_ROLE), other.data(col, SORT_ROLE)
        if a is None or b is None:
            return super().__lt__(other)
        return a < b


def _item(texts: tuple[str, ...], keys: tuple, payload: object = None) -> SortItem:
    item = SortItem(list(texts))
    for col, key in enumerate(keys):
        item.setData(col, SORT_ROLE, key)
    item.setData(0, PAYLOAD_ROLE, payload)
    return item


def _tree(columns: tuple[str, ...], name: str, parent: QWidget) -> QTreeWidget:
    tree = QTreeWidget(parent)
    tree.setObjectName(name)
    tree.setColumnCount(len(columns))
    tree.setHeaderLabels(list(columns))
    tree.setSortingEnabled(True)
    tree.setUniformRowHeights(True)
    tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    tree.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # keys stay with the actions
    tree.setAlternatingRowColors(True)
    return tree


class QAPanel(QWidget):
    def __init__(self, review: ReviewController, actions: Mapping[str, QAction], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("qa_panel")
        self.review = review
        self.project = review.project
        self.summary = QLabel(self)
        self.summary.setObjectName("qa_summary")
        self.summary.setWordWrap(True)
        self.group = QComboBox(self)
        self.group.setObjectName("qa_group")
        for key, text in GROUPS.items():
            self.group.addItem(text, key)
        self.severity = QComboBox(self)
        self.severity.setObjectName("qa_severity")
        for key, text in SEVERITY_FILTERS.items():
            self.severity.addItem(text, key)
        self.show_waived = QCheckBox("Accepted", self)
        self.show_waived.setToolTip("Also list findings on boxes a reviewer accepted")
        for w in (self.group, self.severity, self.show_waived):
            w.setFocusPolicy(Qt.FocusPolicy.ClickFocus)

        self.findings_tree = _tree(FINDING_COLUMNS, "qa_findings", self)
        self.comments_tree = _tree(COMMENT_COLUMNS, "qa_comments", self)
        self.time_tree = _tree(("Item", "Active time"), "qa_time", self)
        self.time_label = QLabel(self)
        self.time_label.setObjectName("qa_time_total")
        time_page = QWidget(self)
        tl = QVBoxLayout(time_page)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(self.time_label)
        tl.addWidget(self.time_tree)
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("qa_tabs")
        self.tabs.addTab(self.findings_tree, "Findings")
        self.tabs.addTab(self.comments_tree, "Comments")
        self.tabs.addTab(time_page, "Time")

        self.range_first = QSpinBox(self)
        self.range_last = QSpinBox(self)
        n = len(self.project.sequence)
        for spin, value, name in ((self.range_first, 1, "range_first"), (self.range_last, n, "range_last")):
            spin.setObjectName(name)
            spin.setRange(1, max(n, 1))
            spin.setValue(value)
            spin.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
            spin.setToolTip("Frame range for the track verdicts (1-based, inclusive)")

        filters = QHBoxLayout()
        filters.addWidget(self.group)
        filters.addWidget(self.severity)
        filters.addWidget(self.show_waived)
        verdicts = QHBoxLayout()
        for action_id in ("accept_box", "reject_box", "mark_fixed"):
            verdicts.addWidget(self._button(actions[action_id]))
        ranges = QHBoxLayout()
        ranges.addWidget(QLabel("Track frames", self))
        ranges.addWidget(self.range_first)
        ranges.addWidget(QLabel("–", self))
        ranges.addWidget(self.range_last)
        for action_id in ("accept_track_range", "reject_track_range"):
            ranges.addWidget(self._button(actions[action_id]))
        talk = QHBoxLayout()
        for action_id in ("previous_finding", "next_finding", "add_comment", "reply_comment", "resolve_comment"):
            talk.addWidget(self._button(actions[action_id]))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.summary)
        layout.addLayout(filters)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(verdicts)
        layout.addLayout(ranges)
        layout.addLayout(talk)

        self._stale = False
        self._findings_signature: tuple | None = None
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.timeout.connect(self.refresh)
        review.findings_changed.connect(self.schedule_refresh)
        review.comments_changed.connect(self.schedule_refresh)
        review.review_changed.connect(self.schedule_refresh)
        review.current_finding_changed.connect(self._show_current)
        for w in (self.group, self.severity):
            w.currentIndexChanged.connect(self.refresh)
        self.show_waived.toggled.connect(self.refresh)
        self.findings_tree.itemClicked.connect(self._on_finding_clicked)
        self.comments_tree.itemClicked.connect(self._on_comment_clicked)
        self.tabs.currentChanged.connect(lambda i: self.refresh_time() if i == 2 else None)
        self.setMinimumWidth(360)

    def _button(self, action: QAction) -> QToolButton:
        button = QToolButton(self)
        button.setDefaultAction(action)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        return button

    def track_range(self) -> tuple[int, int]:
        """The range spin boxes as 0-based frames."""
        a, b = self.range_first.value() - 1, self.range_last.value() - 1
        return (a, b) if a <= b else (b, a)

    def set_track_range(self, first: int, last: int) -> None:
        self.range_first.setValue(first + 1)
        self.range_last.setValue(last + 1)

    def schedule_refresh(self) -> None:
        self._refresh_timer.start(0)

    # -- content ---------------------------------------------------------------------
    def visible_findings(self) -> list[Finding]:
        min_rank = {"all": 0, "warning": 1, "error": 2}[self.severity.currentData()]
        show_waived = self.show_waived.isChecked()
        return [f for f in self.review.findings if f.severity.rank >= min_rank
                and (show_waived or not self.review.is_waived(f))]

    def _track_number(self, token: str | None) -> int:
        track = self.project.get_track(token) if token else None
        return track.number if track else -1

    def showEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt API
        super().showEvent(event)
        if self._stale:
            self.schedule_refresh()

    def refresh(self) -> None:
        """Rebuild the lists (skipped while hidden: done when shown)."""
        self._refresh_timer.stop()
        if not self.isVisible() and self.window().isVisible():
            self._stale = True
            return
        self._stale = False
        self._refresh_findings()
        self._refresh_comments()
        self._refresh_summary()
        if self.tabs.currentIndex() == 2:
            self.refresh_time()

    def _refresh_summary(self) -> None:
        prog = review_progress(self.project)
        findings = self.review.open_findings() if self.review.enabled else []
        errors = sum(f.severity == Severity.ERROR for f in findings)
        checks = f"{len(findings)} open findings ({errors} errors)" if self.review.enabled else "checks not run"
        self.summary.setText(
            f"{checks} · {prog.reviewed_fraction:.0%} of boxes reviewed "
            f"({prog.annotations['accepted']} accepted, {prog.annotations['rejected']} rejected, "
            f"{prog.annotations['fixed']} fixed) · {prog.open_comments} open comments · reviewer: {self.project.author}")

    def _refresh_findings(self) -> None:
        visible = self.visible_findings()
        signature = (self.group.currentData(), tuple((f, self.review.is_waived(f)) for f in visible))
        if signature == self._findings_signature:
            return  # nothing to show changed (the usual case for an edit that fixes nothing)
        self._findings_signature = signature
        tree = self.findings_tree
        tree.setUpdatesEnabled(False)
        tree.setSortingEnabled(False)
        tree.clear()
        group = self.group.currentData()
        groups: dict[object, list[Finding]] = defaultdict(list)
        for f in visible:
            key = f.frame_index if group == "frame" else self._track_number(f.track_token) if group == "track" else None
            groups[key].append(f)
        for key, fs in groups.items():
            if group == "none":
                parent = tree.invisibleRootItem()
            else:
                label = ("Frame " + (str(key + 1) if key is not None and key >= 0 else "-")) if group == "frame" \
                    else f"Track {key}" if key is not None and key >= 0 else "No track"
                sort_key = key if key is not None else -1
                worst = max(fs, key=lambda f: f.severity.rank).severity
                parent = _item((f"{label} ({len(fs)})", "", "", "", ""), (sort_key, sort_key, sort_key, "", ""))
                parent.setForeground(0, QBrush(SEVERITY_RGB[worst]))
                tree.addTopLevelItem(parent)
            for f in fs:
                parent.addChild(self._finding_item(f))
        tree.setSortingEnabled(True)
        tree.sortByColumn(1 if group != "track" else 2, Qt.SortOrder.AscendingOrder)
        tree.expandAll()
        for col in range(len(FINDING_COLUMNS) - 1):
            tree.resizeColumnToContents(col)
        tree.setUpdatesEnabled(True)
        self._show_current(self.review.current)

    def _finding_item(self, f: Finding) -> SortItem:
        number = self._track_number(f.track_token)
        frame = f.frame_index if f.frame_index is not None else -1
        item = _item((f.severity.value, str(frame + 1) if frame >= 0 else "-", str(number) if number >= 0 else "-",
                      f.check, f.message), (-f.severity.rank, frame, number, f.check, f.message), f)
        item.setToolTip(4, f.message)
        waived = self.review.is_waived(f)
        item.setForeground(0, QBrush(WAIVED_RGB if waived else SEVERITY_RGB[f.severity]))
        if waived:
            for col in range(1, len(FINDING_COLUMNS)):
                item.setForeground(col, QBrush(WAIVED_RGB))
            item.setToolTip(4, f"{f.message} (accepted by a reviewer)")
        return item

    def finding_items(self) -> list[SortItem]:
        out = []
        root = self.findings_tree.invisibleRootItem()
        stack = [root.child(i) for i in range(root.childCount())]
        while stack:
            item = stack.pop(0)
            if isinstance(item.data(0, PAYLOAD_ROLE), Finding):
                out.append(item)
            stack[:0] = [item.child(i) for i in range(item.childCount())]
        return out

    def _show_current(self, finding: object) -> None:
        if not isinstance(finding, Finding):
            return
        for item in self.finding_items():
            if item.data(0, PAYLOAD_ROLE).key == finding.key:
                self.findings_tree.blockSignals(True)
                self.findings_tree.setCurrentItem(item)
                self.findings_tree.scrollToItem(item)
                self.findings_tree.blockSignals(False)
                return

    def _refresh_comments(self) -> None:
        tree = self.comments_tree
        tree.setSortingEnabled(False)
        tree.clear()
        for c in sorted(self.project.comments.values(), key=lambda c: c.created_s):
            number = self._track_number(c.track_token)
            frame = c.frame_index if c.frame_index is not None else -1
            item = _item((c.state.value, str(frame + 1) if frame >= 0 else "-", str(number) if number >= 0 else "-",
                          c.author, c.text), (not c.is_open, frame, number, c.author, c.created_s), c.token)
            item.setForeground(0, QBrush(QColor(230, 120, 60) if c.is_open else WAIVED_RGB))
            for r in c.replies:
                child = QTreeWidgetItem(["reply", "", "", r.author, r.text])
                child.setData(0, PAYLOAD_ROLE, c.token)
                item.addChild(child)
            tree.addTopLevelItem(item)
            if c.token == self.review.current_comment:
                tree.setCurrentItem(item)
        tree.setSortingEnabled(True)
        tree.sortByColumn(1, Qt.SortOrder.AscendingOrder)
        tree.expandAll()
        for col in range(len(COMMENT_COLUMNS) - 1):
            tree.resizeColumnToContents(col)

    def refresh_time(self) -> None:
        stats = self.review.activity.stats()
        authors = ", ".join(f"{a or '?'} {format_duration(s)}" for a, s in
                            sorted(stats.per_author_s.items(), key=lambda kv: -kv[1]))
        self.time_label.setText(f"Active annotation time: {format_duration(stats.total_s)} over {stats.steps} steps"
                                + (f" ({authors})" if authors else ""))
        tree = self.time_tree
        tree.setSortingEnabled(False)
        tree.clear()
        tracks = _item(("Per track", ""), ("0", 0.0))
        for token, secs in stats.per_track_s.items():
            number = self._track_number(token)
            label = f"Track {number}" if number >= 0 else "deleted track"
            tracks.addChild(_item((label, format_duration(secs)), (number, secs), token))
        frames = _item(("Per frame", ""), ("1", 0.0))
        for index, secs in stats.per_frame_s.items():
            frames.addChild(_item((f"Frame {index + 1}", format_duration(secs)), (index, secs), index))
        tree.addTopLevelItem(tracks)
        tree.addTopLevelItem(frames)
        tree.setSortingEnabled(True)
        tree.sortByColumn(1, Qt.SortOrder.DescendingOrder)
        tree.expandAll()
        tree.resizeColumnToContents(0)

    # -- clicks ----------------------------------------------------------------------
    def _on_finding_clicked(self, item: QTreeWidgetItem, _col: int) -> None:
        finding = item.data(0, PAYLOAD_ROLE)
        if isinstance(finding, Finding):
            self.review.jump_to_finding(finding)

    def _on_comment_clicked(self, item: QTreeWidgetItem, _col: int) -> None:
        token = item.data(0, PAYLOAD_ROLE)
        comment: Comment | None = self.project.comments.get(token) if isinstance(token, str) else None
        if comment is None:
            return
        self.review.current_comment = token
        self.review.jump(comment.frame_index, comment.annotation_token, comment.track_token)
