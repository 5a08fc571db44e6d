#include "ui/log_panel.h"

#include <QDateTime>
#include <QHBoxLayout>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace ms::ui {

LogPanel::LogPanel(QWidget* parent) : QWidget(parent) {
    text_ = new QPlainTextEdit(this);
    text_->setObjectName(QStringLiteral("logText"));
    text_->setReadOnly(true);
    text_->setMaximumBlockCount(20000);   // a long session keeps its last 20,000 lines
    text_->setPlaceholderText(tr("Messages of jobs and exports appear here."));
    auto* clearButton = new QPushButton(tr("Clear"), this);
    connect(clearButton, &QPushButton::clicked, this, &LogPanel::clear);
    auto* row = new QHBoxLayout;
    row->addStretch(1);
    row->addWidget(clearButton);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    layout->addWidget(text_, 1);
    layout->addLayout(row);
}

QString LogPanel::plainText() const { return text_->toPlainText(); }

void LogPanel::append(LogLevel level, const QString& text) {
    const QString time = QTime::currentTime().toString(QStringLiteral("HH:mm:ss"));
    QString color = QStringLiteral("#202020"), prefix;
    if (level == LogLevel::warning) color = QStringLiteral("#a05a00"), prefix = tr("Warning: ");
    if (level == LogLevel::error) color = QStringLiteral("#b00020"), prefix = tr("Error: ");
    // Multi-line messages (a backend note lists GPUs) keep their lines.
    const QString body = (prefix + text).toHtmlEscaped().replace(QLatin1Char('\n'), QStringLiteral("<br>&nbsp;&nbsp;"));
    text_->appendHtml(QStringLiteral("<span style='color:#808080'>%1</span> <span style='color:%2'>%3</span>")
                          .arg(time, color, body));
    if (level == LogLevel::error) {
        ++errors_;
        emit errorLogged(text);
    }
}

void LogPanel::clear() {
    text_->clear();
    errors_ = 0;
}

}  // namespace ms::ui
