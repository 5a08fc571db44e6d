#include "ui/settings_dialog.h"

#include <QColorDialog>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>

#include "ui/device_list.h"

namespace ms::ui {

SettingsDialog::SettingsDialog(const AppSettings& current, QWidget* parent) : QDialog(parent) {
    setWindowTitle(tr("Settings"));
    auto* form = new QFormLayout;

    model_ = new QLineEdit(current.modelDir, this);
    model_->setObjectName(QStringLiteral("settingsModel"));
    const QString bundled = bundledModelDir();
    model_->setPlaceholderText(bundled.isEmpty() ? tr("model directory (config.json + model.safetensors)")
                                                 : tr("bundled model: %1").arg(bundled));
    auto* browse = new QPushButton(tr("Browse…"), this);
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString d = QFileDialog::getExistingDirectory(this, tr("Default model directory"), model_->text());
        if (!d.isEmpty()) model_->setText(d);
    });
    auto* modelRow = new QHBoxLayout;
    modelRow->addWidget(model_, 1);
    modelRow->addWidget(browse);
    form->addRow(tr("Default model:"), modelRow);

    device_ = new QComboBox(this);
    device_->setObjectName(QStringLiteral("settingsDevice"));
    fillDeviceBox(device_, current.device);
    form->addRow(tr("Device:"), device_);

    precision_ = new QComboBox(this);
    precision_->setObjectName(QStringLiteral("settingsPrecision"));
    fillPrecisionBox(precision_, current.precision);
    form->addRow(tr("Precision:"), precision_);

    chunk_ = new QSpinBox(this);
    chunk_->setObjectName(QStringLiteral("settingsChunk"));
    chunk_->setRange(0, 1 << 22);  // 0: automatic
    chunk_->setSpecialValueText(tr("Automatic"));
    chunk_->setSingleStep(2016);
    chunk_->setGroupSeparatorShown(true);
    chunk_->setSuffix(tr(" bp"));
    chunk_->setValue(current.chunk);
    chunk_->setToolTip(
        tr("Positions per forward call. The state is carried across chunks, so results do not "
           "depend on it beyond float rounding. Automatic: 65,536 on a GPU, where larger chunks are "
           "faster; 2,016 on the CPU, where a chunk that fits the caches is faster and uses a tenth "
           "of the memory."));
    form->addRow(tr("Chunk size:"), chunk_);

    plotColor_ = new QPushButton(this);
    plotColor_->setObjectName(QStringLiteral("settingsPlotColor"));
    highlightColor_ = new QPushButton(this);
    highlightColor_->setObjectName(QStringLiteral("settingsHighlightColor"));
    setColor(plotColor_, current.plotColor);
    setColor(highlightColor_, current.highlightColor);
    connect(plotColor_, &QPushButton::clicked, this, [this] {
        const QColor c = QColorDialog::getColor(plot_, this, tr("Plot colour"));
        if (c.isValid()) setColor(plotColor_, c);
    });
    connect(highlightColor_, &QPushButton::clicked, this, [this] {
        const QColor c = QColorDialog::getColor(highlight_, this, tr("Highlight colour"));
        if (c.isValid()) setColor(highlightColor_, c);
    });
    form->addRow(tr("Plot colour:"), plotColor_);
    form->addRow(tr("Highlight colour:"), highlightColor_);
    bases_ = new QComboBox(this);
    bases_->setObjectName(QStringLiteral("settingsBaseColours"));
    bases_->addItem(tr("IGV (green A, blue C, orange G, red T)"), false);
    bases_->addItem(tr("Colour-blind safe (Okabe–Ito: bluish green A, blue C, orange G, purple T)"), true);
    bases_->setCurrentIndex(current.colorBlindBases ? 1 : 0);
    form->addRow(tr("Base colours:"), bases_);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    form->addRow(buttons);
    setLayout(form);
}

void SettingsDialog::setColor(QPushButton* button, const QColor& c) {
    (button == plotColor_ ? plot_ : highlight_) = c;
    button->setText(c.name());
    button->setStyleSheet(QStringLiteral("QPushButton { background: %1; color: %2; }")
                              .arg(c.name(), c.lightness() > 128 ? QStringLiteral("black") : QStringLiteral("white")));
}

AppSettings SettingsDialog::settings() const {
    AppSettings a;
    a.modelDir = model_->text().trimmed();
    a.device = device_->currentData().toString();
    a.precision = precision_->currentData().toString();
    a.chunk = chunk_->value();
    a.plotColor = plot_;
    a.highlightColor = highlight_;
    a.colorBlindBases = bases_->currentData().toBool();
    return a;
}

}  // namespace ms::ui
