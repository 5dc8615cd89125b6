"""The training settings form: architecture, dataset and hyperparameters, checked live."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QAbstractSpinBox, QCheckBox, QComboBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit,
    QListWidget, QListWidgetItem, QPushButton, QSpinBox, QToolButton, QVBoxLayout, QWidget,
)

from core.data.datasets import DATASETS, availability, get_dataset_info
from core.runtime.distribute import STRATEGIES
from core.models.registry import ARCHITECTURES, DEFAULT_ARCH
from core.training.schedules import SCHEDULES
from core.training.config import RECIPES, MIXED_PRECISION, OPTIMIZERS
from gui.panels.dataset_box import DatasetBox
from gui.panels.folder_options import FolderOptions
from gui.panels.settings_checks import SettingsChecks
from gui.panels.settings_defaults import SettingsDefaults
from gui.files import ask_folder

ERROR_STYLE = "color: #c0392b;"


class SettingsPanel(SettingsDefaults, SettingsChecks, QWidget):
    """Edits a :class:`TrainConfig`; every value is checked as it is typed.

    Signals:
        arch_changed(str): a different architecture was picked.
        validity_changed(bool): whether the settings can be used now.
        submitted: Enter was pressed in one of the fields.
    """

    arch_changed = Signal(str)
    validity_changed = Signal(bool)
    submitted = Signal()  # Enter pressed in a field: start training, as the default button would
    download_requested = Signal()  # the Download… button beside CIFAR-10 when it is missing
    preview_requested = Signal()  # Preview… beside "Augment the images"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.arch = QComboBox()
        for info in ARCHITECTURES.values():
            self.arch.addItem(info.name, info.id)
            self.arch.setItemData(self.arch.count() - 1, info.description, 3)  # ToolTipRole
        self.arch.setToolTip("The network to train. Picking one applies its default settings.")
        self.form = QComboBox()
        self.form.addItem("Compact", "compact")
        self.form.addItem("Reference (as the paper)", "reference")
        self.form.setToolTip("Compact: the network's idea made small enough to train on MNIST in "
                             "minutes on a CPU. Reference: exactly as published (inputs resized to "
                             "its size), which may take hours per epoch without a GPU.")
        self.dataset = DatasetBox()
        self.download_button = QPushButton("Download…")
        self.download_button.setToolTip("Download CIFAR-10 (170 MB) into Keras's cache, with progress and Cancel.")
        self.download_button.clicked.connect(self.download_requested)
        self.download_button.hide()
        dataset_row = QWidget()
        row = QHBoxLayout(dataset_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.dataset, 1)
        row.addWidget(self.download_button)
        self.folder_options = FolderOptions()
        self.epochs = QSpinBox()
        self.epochs.setRange(1, 1000)
        self.epochs.setToolTip("Passes over the training set.")
        self.batch_size = QSpinBox()
        self.batch_size.setRange(1, 65536)
        self.batch_size.setToolTip("Images per training step. Larger is faster per image "
                                   "but needs more memory and may generalise worse.")
        self.optimizer = QComboBox()
        for key, name in OPTIMIZERS.items():
            self.optimizer.addItem(name, key)
        self.optimizer.setToolTip("Adam adapts the step size per weight and is a safe default; "
                                  "SGD takes a momentum and Nesterov under More settings; RMSprop "
                                  "scales steps by recent gradient sizes.")
        self.learning_rate = QLineEdit()
        self.learning_rate.setToolTip("Step size, e.g. 0.001 or 3e-3. Too large makes the loss "
                                      "explode; too small makes training slow.")
        self.schedule = QComboBox()
        for key, name in SCHEDULES.items():
            self.schedule.addItem(name, key)
        self.schedule.setToolTip("Cosine decay lowers the learning rate smoothly to 1% by the "
                                 "last step, which usually gains a few tenths of a percent.")

        self.momentum = QLineEdit()
        self.momentum.setToolTip("SGD momentum, from 0 to 0.999 (0.9 is usual). Other optimisers ignore it.")
        self.nesterov = QCheckBox("Nesterov momentum")
        self.nesterov.setToolTip("SGD looks ahead along the momentum before taking the gradient.")
        self.weight_decay = QLineEdit()
        self.weight_decay.setToolTip("Decoupled weight decay (0 for none, e.g. 1e-4): shrinks the "
                                     "weights a little every step, which regularises.")
        self.warmup = QSpinBox()
        self.warmup.setRange(0, 1000)
        self.warmup.setSpecialValueText("None")
        self.warmup.setSuffix(" epoch(s)")
        self.warmup.setToolTip("Raise the learning rate linearly from almost 0 over these first "
                               "epochs: helps large batches and deep networks start stably.")
        self.recipe = QComboBox()
        self.recipe.addItem("The architecture's defaults", None)
        for key, (name, _settings) in RECIPES.items():
            self.recipe.addItem(name, key)
        self.recipe.setToolTip("Fill in the optimiser, learning rate, momentum, weight decay, schedule and batch "
                               "size as a source trained the networks. CIFAR tutorial: SGD, Nesterov 0.9, lr 0.1, "
                               "weight decay 5e-4, ÷10 at 50% and 75% of the run.")
        self.recipe.activated.connect(self._apply_recipe)
        self.augment = QCheckBox("Augment the images")
        self.augment.setToolTip("Digits: give 30% of the training images thinner or thicker strokes (±1 px), "
                                "shifts (±5%), rotations (±5°) and zoom (±5%), so the model reads real "
                                "drawings better. Colour photos: random crops (±4 px) and left-right "
                                "flips. On by default for both.")
        self.preview_button = QPushButton("Preview…")
        self.preview_button.setToolTip("Preview augmentation: training images as the training pipeline will feed "
                                       "them, with these settings.")
        self.preview_button.clicked.connect(self.preview_requested)
        augment_row = QWidget()
        row = QHBoxLayout(augment_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.augment, 1)
        row.addWidget(self.preview_button)
        self.deslant = QCheckBox("Deslant the digits")
        self.deslant.setToolTip("Shear every image upright by its moments before the network reads it, in training "
                                "and on the canvas alike (a layer of the model): reads other people's slanted "
                                "handwriting better. Greyscale only; on by default for digits.")
        self.keep_epochs = QCheckBox("Keep every epoch's weights")
        self.keep_epochs.setToolTip("After the run, move back through its epochs under the curves: the canvas "
                                    "reads with the weights of that epoch. On for compact forms (a few MB).")
        self.keep_epochs.setChecked(True)
        self.early_stopping = QSpinBox()
        self.early_stopping.setRange(0, 1000)
        self.early_stopping.setSpecialValueText("Off")
        self.early_stopping.setPrefix("patience ")
        self.early_stopping.setToolTip("Stop when the validation loss has not improved for this "
                                       "many epochs, and keep the best weights.")
        self.val_split = QLineEdit()
        self.val_split.setToolTip("Fraction of the training images held out to validate, 0 to 0.5.")
        self.limit = QSpinBox()
        self.limit.setRange(0, 10_000_000)
        self.limit.setSingleStep(1000)
        self.limit.setSpecialValueText("All")
        self.limit.setToolTip("Train on the first N images of the dataset only (a quick trial run); "
                              "All uses every image.")
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setToolTip("Random seed: the same seed gives the same curves on the CPU.")
        self.device = QComboBox()
        self.device.addItem("Automatic", "auto")
        self.device.setToolTip("Where to train: automatic (the first GPU, else the CPU), all GPUs at "
                               "once (mirrored), one GPU, or the CPU. The list fills in when "
                               "TensorFlow has loaded.")
        self.strategy = QComboBox()
        for key, name in STRATEGIES.items():
            self.strategy.addItem(name, key)
        self.strategy.setToolTip(
            "How many devices train together (tf.distribute): one device; mirrored, a copy of the "
            "model on every local GPU (or the ticked devices) with gradients summed; multi-worker, "
            "several machines, each running this with its own worker index.")
        self.devices = QListWidget()
        self.devices.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.devices.setMaximumHeight(64)
        self.devices.setToolTip("Mirrored: tick the devices to train on (none ticked: every GPU, "
                                "else every CPU device).")
        self.workers = QLineEdit()
        self.workers.setPlaceholderText("host:port, host:port, …")
        self.workers.setToolTip("Multi-worker: every worker's address, in the same order on every "
                                "machine. Training runs in a separate process that waits for the others.")
        self.worker_index = QSpinBox()
        self.worker_index.setRange(0, 999)
        self.worker_index.setToolTip("This machine's place in the workers list; worker 0 is the chief, "
                                     "which writes the checkpoints and the model.")
        self.scale_lr = QCheckBox("Scale the rate by replicas")
        self.scale_lr.setToolTip("The batch size is the global batch, shared by the replicas: with N "
                                 "replicas, train at N × the learning rate (the linear scaling rule).")
        self.mixed_precision = QComboBox()
        for key, name in MIXED_PRECISION.items():
            self.mixed_precision.addItem(name, key)
        self.mixed_precision.setToolTip("Compute in 16-bit floats (weights stay 32-bit): up to 2-3× "
                                        "faster on recent GPUs. float16 needs a GPU.")
        self.tensorboard = QLineEdit()
        self.tensorboard.setPlaceholderText("No TensorBoard logs")
        self.tensorboard.setClearButtonEnabled(True)
        self.tensorboard.setToolTip("A folder for TensorBoard logs (needs the tensorboard package); "
                                    "empty for none.")
        self.browse = browse = QPushButton("…")
        browse.setFixedWidth(28)
        browse.setToolTip("Choose the TensorBoard log folder.")
        browse.setAccessibleName("Choose the TensorBoard log folder")
        browse.clicked.connect(self._choose_tensorboard)
        tensorboard_row = QWidget()
        row = QHBoxLayout(tensorboard_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.tensorboard, 1)
        row.addWidget(browse)

        self.strategy_note = QLabel()
        self.strategy_note.setWordWrap(True)
        self.strategy_note.setStyleSheet("color: #8a6d00;")
        self.strategy_note.hide()
        self.error_labels: dict[str, QLabel] = {}
        self.field_boxes: dict[str, QVBoxLayout] = {}
        self.basic_form = basic = self._form((
            ("arch", "&Architecture", self.arch), ("form", "&Form", self.form),
            ("dataset", "&Dataset", dataset_row), ("image_size", "Ima&ge size", self.folder_options),
            ("epochs", "&Epochs", self.epochs), ("batch_size", "&Batch size", self.batch_size),
            ("optimizer", "&Optimizer", self.optimizer), ("learning_rate", "&Learning rate", self.learning_rate),
            ("schedule", "Sc&hedule", self.schedule),
        ))
        self.advanced = QWidget()
        advanced = self._form((
            ("recipe", "Recipe", self.recipe),
            ("momentum", "Mo&mentum", self.momentum), ("nesterov", "", self.nesterov),
            ("weight_decay", "&Weight decay", self.weight_decay), ("warmup", "&Warm-up", self.warmup),
            ("augment", "", augment_row), ("deslant", "", self.deslant), ("keep_epochs", "", self.keep_epochs), ("early_stopping", "Early sto&p", self.early_stopping),
            ("val_split", "&Validation", self.val_split), ("limit", "Training &images", self.limit),
            ("seed", "See&d", self.seed),
            ("device", "De&vice", self.device), ("strategy", "Strate&gy", self.strategy),
            ("devices", "Devices", self.devices), ("workers", "Wor&kers", self.workers),
            ("worker_index", "Worker index", self.worker_index), ("scale_lr", "", self.scale_lr),
            ("strategy_note", "", self.strategy_note),
            ("mixed_precision", "Precision", self.mixed_precision),
            ("tensorboard", "TensorBoard", tensorboard_row),
        ))
        self.advanced.setLayout(advanced)
        self.advanced_toggle = QToolButton()
        self.advanced_toggle.setText("More settings")
        self.advanced_toggle.setCheckable(True)
        self.advanced_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.advanced_toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.advanced_toggle.setAutoRaise(True)
        self.advanced_toggle.setToolTip("Momentum, weight decay, warm-up, augmentation, deslanting, early "
                                        "stopping, validation split, seed, device, precision.")
        self.advanced_toggle.toggled.connect(self.set_advanced_visible)
        self.advanced.hide()
        self.reset_button = QPushButton("Reset to defaults")
        self.reset_button.setToolTip("Set every setting to the architecture's defaults (Ctrl+R).")
        self.reset_button.clicked.connect(self.reset_defaults)
        toggles = QHBoxLayout()
        toggles.addWidget(self.advanced_toggle)
        toggles.addStretch(1)
        toggles.addWidget(self.reset_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(basic)
        layout.addLayout(toggles)
        layout.addWidget(self.advanced)

        for combo in self.findChildren(QComboBox):  # long entries must not widen the column
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(14)
        # These share their rows with other fields.
        self.folder_options.colour.setMinimumContentsLength(6)
        self.dataset.setMinimumContentsLength(8)
        self.apply_defaults(DEFAULT_ARCH)
        self.arch.currentIndexChanged.connect(self._on_arch_changed)
        self.epochs.valueChanged.connect(self._fit_default_warmup)
        self.dataset.currentIndexChanged.connect(self.apply_dataset_defaults)
        self.dataset.currentIndexChanged.connect(self._on_dataset_changed)
        self._on_dataset_changed()
        self.folder_options.changed.connect(self.check)
        for signal in (self.dataset.currentIndexChanged, self.form.currentIndexChanged, self.epochs.valueChanged,
                       self.batch_size.valueChanged, self.optimizer.currentIndexChanged,
                       self.learning_rate.textChanged, self.schedule.currentIndexChanged,
                       self.momentum.textChanged, self.nesterov.toggled, self.weight_decay.textChanged,
                       self.warmup.valueChanged, self.augment.toggled, self.deslant.toggled,
                       self.early_stopping.valueChanged,
                       self.val_split.textChanged, self.limit.valueChanged, self.seed.valueChanged, self.device.currentIndexChanged,
                       self.mixed_precision.currentIndexChanged, self.tensorboard.textChanged,
                       self.strategy.currentIndexChanged, self.devices.itemChanged, self.workers.textChanged,
                       self.worker_index.valueChanged, self.scale_lr.toggled):
            signal.connect(self.check)
        self.strategy.currentIndexChanged.connect(self._update_enabled)
        # Reference forms are large: their epochs are not kept unless asked for.
        self.form.currentIndexChanged.connect(lambda: self.keep_epochs.setChecked(self.current_form() == "compact"))
        self.optimizer.currentIndexChanged.connect(self._update_enabled)
        self._valid = True
        self._locked = False
        self._device_names: list[str] | None = None  # known once TensorFlow has loaded
        self._update_enabled()
        self.check()

    #: For Help ▸ Keyboard shortcuts: (keys, action, what it does), in a settings field.
    FOCUS_PLACE = "Training settings"
    FOCUS_KEYS = (("Return", "Start training", "Start training, from any field of the training settings."),)

    def keyPressEvent(self, event) -> None:
        # Fields pass Enter on (QLineEdit, QSpinBox and QComboBox ignore it), as in a dialog.
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not self._locked:
            self.submitted.emit()
            event.accept()
            return
        super().keyPressEvent(event)

    def _form(self, rows) -> QFormLayout:
        form = QFormLayout()
        for key, label, widget in rows:
            error = QLabel()
            error.setStyleSheet(ERROR_STYLE)
            error.setWordWrap(True)
            error.hide()
            self.error_labels[key] = error
            box = QVBoxLayout()
            box.setSpacing(2)
            box.addWidget(widget)
            box.addWidget(error)
            caption = QLabel(label)
            inner = [widget.findChild(kind) for kind in (QAbstractSpinBox, QLineEdit, QComboBox)]
            caption.setBuddy(next((w for w in inner if w is not None), widget) if type(widget) in (QWidget, FolderOptions)
                             else widget)
            form.addRow(caption, box)
            self.field_boxes[key] = box
        return form

    def set_advanced_visible(self, visible: bool) -> None:
        self.advanced.setVisible(visible)
        self.advanced_toggle.setArrowType(Qt.ArrowType.DownArrow if visible else Qt.ArrowType.RightArrow)
        if self.advanced_toggle.isChecked() != visible:
            self.advanced_toggle.setChecked(visible)

    def set_devices(self, devices: list[tuple[str, str]]) -> None:
        """Fills the device picker with (name, label) pairs from :func:`core.runtime.device.list_devices`,
        and the mirrored strategy's list with the GPUs (else the CPU devices)."""
        self._device_names = [name for name, _ in devices]
        current = self.device.currentData()
        wanted, self._wanted_device = getattr(self, "_wanted_device", None), None
        self.device.blockSignals(True)
        self.device.clear()
        for name, label in devices:
            self.device.addItem(label, name)
        index = self.device.findText(wanted) if wanted else -1
        self.device.setCurrentIndex(index if index >= 0 else max(0, self.device.findData(current)))
        self.device.blockSignals(False)
        ticked = set(self.ticked_devices())
        gpus = [(n, label) for n, label in devices if n.startswith("gpu")]
        self.devices.blockSignals(True)
        self.devices.clear()
        for name, label in gpus or [(n, label) for n, label in devices if n.startswith("cpu")]:
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if name in ticked else Qt.CheckState.Unchecked)
            self.devices.addItem(item)
        self.devices.blockSignals(False)
        self.check()

    def want_device(self, label: str) -> None:
        """Picks the device shown as ``label`` once the devices are known (the last
        session's choice, restored before TensorFlow has listed them)."""
        self._wanted_device = label

    def ticked_devices(self) -> list[str]:
        """The devices ticked for mirrored training (none: all of them)."""
        return [self.devices.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.devices.count())
                if self.devices.item(i).checkState() == Qt.CheckState.Checked]

    def _choose_tensorboard(self) -> None:
        folder = ask_folder(self, "TensorBoard log folder", self.tensorboard.text())
        if folder:
            self.tensorboard.setText(folder)

    def _update_enabled(self) -> None:
        sgd = self.optimizer.currentData() == "sgd"
        for widget in (self.momentum, self.nesterov):
            widget.setEnabled(sgd and not self._locked)
        strategy = self.strategy.currentData()
        free = not self._locked
        self.device.setEnabled(free and strategy == "default")
        self.devices.setEnabled(free and strategy == "mirrored")
        self.workers.setEnabled(free and strategy == "multiworker")
        self.worker_index.setEnabled(free and strategy == "multiworker")
        self.scale_lr.setEnabled(free and strategy != "default")

    def current_arch(self) -> str:
        return self.arch.currentData()

    def current_form(self) -> str:
        return self.form.currentData()

    def select_arch(self, arch_id: str) -> None:
        """Chooses an architecture keeping the other settings as they are (not its defaults)."""
        if self.arch.findData(arch_id) < 0:
            return
        self.arch.blockSignals(True)
        self.arch.setCurrentIndex(self.arch.findData(arch_id))
        self.arch.blockSignals(False)
        self.check()
        self.arch_changed.emit(self.current_arch())

    def set_networks(self, networks: list[tuple[str, str]]) -> None:
        """Lists My networks (name, architecture id) after the zoo, keeping the choice."""
        current = self.current_arch()
        self.arch.blockSignals(True)
        while self.arch.count() > len(ARCHITECTURES):
            self.arch.removeItem(self.arch.count() - 1)
        if networks:
            self.arch.insertSeparator(self.arch.count())
        for name, arch_id in networks:
            self.arch.addItem(f"{name} (my network)", arch_id)
            self.arch.setItemData(self.arch.count() - 1, f"Your network {name}, from My networks.", 3)
        self.arch.setCurrentIndex(max(0, self.arch.findData(current)))
        self.arch.blockSignals(False)
        if self.current_arch() != current:
            self._on_arch_changed()

    def _on_arch_changed(self) -> None:
        self.apply_defaults(self.current_arch())
        self.check()
        self.arch_changed.emit(self.current_arch())

    def is_folder_dataset(self) -> bool:
        return self.dataset.currentData() not in DATASETS

    def _on_dataset_changed(self) -> None:
        """A folder shows how its images are read, as they suggest; other datasets hide it."""
        folder = self.is_folder_dataset()
        if folder and availability(self.dataset.currentData()) is None:
            self.folder_options.set_suggested(get_dataset_info(self.dataset.currentData()).input_shape)
        self.basic_form.setRowVisible(self.field_boxes["image_size"], folder)

    def set_locked(self, locked: bool) -> None:
        """Disables editing while training runs."""
        self._locked = locked
        for widget in (self.arch, self.form, self.dataset, self.epochs, self.batch_size, self.optimizer,
                       self.learning_rate, self.schedule, self.weight_decay, self.warmup, self.augment,
                       self.deslant, self.early_stopping, self.keep_epochs, self.val_split, self.limit, self.seed, self.device,
                       self.mixed_precision, self.tensorboard, self.browse, self.reset_button, self.download_button,
                       self.folder_options, self.strategy, self.devices, self.workers,
                       self.worker_index, self.scale_lr):
            widget.setEnabled(not locked)
        self._update_enabled()
