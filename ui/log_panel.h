// The log panel: what jobs chose and found, and every error in words, time-stamped. Errors are
// red and start with what failed; the panel raises itself on an error so it is not missed.
#pragma once

#include <QWidget>

class QPlainTextEdit;

namespace ms::ui {

enum class LogLevel { info, warning, error };

class LogPanel : public QWidget {
    Q_OBJECT
public:
    explicit LogPanel(QWidget* parent = nullptr);
    QString plainText() const;
    int errorCount() const { return errors_; }

public slots:
    void append(ms::ui::LogLevel level, const QString& text);
    void clear();

signals:
    void errorLogged(const QString& text);

private:
    QPlainTextEdit* text_ = nullptr;
    int errors_ = 0;
};

}  // namespace ms::ui
