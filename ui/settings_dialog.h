// Edit ▸ Settings: the defaults of new jobs (model, device, precision, chunk) and the plot colours.
#pragma once

#include <QDialog>

#include "ui/app_settings.h"

class QComboBox;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace ms::ui {

class SettingsDialog : public QDialog {
    Q_OBJECT
public:
    explicit SettingsDialog(const AppSettings& current, QWidget* parent = nullptr);
    AppSettings settings() const;

private:
    void setColor(QPushButton* button, const QColor& c);
    QLineEdit* model_ = nullptr;
    QComboBox* device_ = nullptr;
    QComboBox* precision_ = nullptr;
    QComboBox* bases_ = nullptr;
    QSpinBox* chunk_ = nullptr;
    QPushButton* plotColor_ = nullptr;
    QPushButton* highlightColor_ = nullptr;
    QColor plot_, highlight_;
};

}  // namespace ms::ui
