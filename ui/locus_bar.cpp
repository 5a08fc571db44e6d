#include "ui/locus_bar.h"

#include <QCompleter>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QStringListModel>
#include <QStyle>
#include <QToolButton>
#include <set>

#include "ui/locus_search.h"

namespace ms::ui {

namespace {

// Completion lists every contig and feature name up to this many (a whole human GENCODE has
// ~3 M features; names beyond this are still found by typing them in full).
constexpr size_t kMaxCompletions = 200'000;

QToolButton* toolButton(QWidget* parent, const QString& name, const QString& text, const QString& tip) {
    auto* b = new QToolButton(parent);
    b->setObjectName(name);
    b->setText(text);
    b->setToolTip(tip);
    b->setAutoRaise(true);
    return b;
}

}  // namespace

LocusBar::LocusBar(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("locusBar"));
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(4, 2, 4, 2);
    back_ = toolButton(this, QStringLiteral("backButton"), QStringLiteral("◀"), tr("Back (Alt+Left)"));
    forward_ = toolButton(this, QStringLiteral("forwardButton"), QStringLiteral("▶"), tr("Forward (Alt+Right)"));
    back_->setShortcut(QKeySequence(Qt::ALT | Qt::Key_Left));
    forward_->setShortcut(QKeySequence(Qt::ALT | Qt::Key_Right));
    edit_ = new QLineEdit(this);
    edit_->setObjectName(QStringLiteral("locusEdit"));
    edit_->setPlaceholderText(tr("chr1:1,000-2,000, a sequence or a feature name"));
    edit_->setClearButtonEnabled(true);
    edit_->setMinimumWidth(320);
    names_ = new QStringListModel(this);
    completer_ = new QCompleter(names_, this);
    completer_->setCaseSensitivity(Qt::CaseInsensitive);
    completer_->setFilterMode(Qt::MatchContains);
    completer_->setMaxVisibleItems(15);
    edit_->setCompleter(completer_);
    auto* zoomOut = toolButton(this, QStringLiteral("zoomOutButton"), QStringLiteral("−"), tr("Zoom out (-)"));
    auto* zoomIn = toolButton(this, QStringLiteral("zoomInButton"), QStringLiteral("+"), tr("Zoom in (+)"));
    layout->addWidget(back_);
    layout->addWidget(forward_);
    layout->addWidget(edit_, 1);
    layout->addWidget(zoomOut);
    layout->addWidget(zoomIn);

    connect(edit_, &QLineEdit::returnPressed, this, [this] { go(edit_->text()); });
    // Picking a completion goes there at once.
    connect(completer_, qOverload<const QString&>(&QCompleter::activated), this, [this](const QString& text) { go(text); });
    connect(zoomIn, &QToolButton::clicked, this, [this] { emit zoomRequested(2.0); });
    connect(zoomOut, &QToolButton::clicked, this, [this] { emit zoomRequested(0.5); });
    connect(back_, &QToolButton::clicked, this, [this] {
        if (auto r = history_.back()) emit regionRequested(*r);
        updateButtons();
    });
    connect(forward_, &QToolButton::clicked, this, [this] {
        if (auto r = history_.forward()) emit regionRequested(*r);
        updateButtons();
    });
    updateButtons();
}

void LocusBar::setSources(const ContigList& contigs, const std::vector<AnnotationsPtr>& annotations) {
    contigs_ = contigs;
    annotations_ = annotations;
    QStringList names;
    std::set<std::string> seen;
    for (const SequenceRecord& c : contigs.contigs())
        if (seen.insert(c.name).second) names << QString::fromStdString(c.name);
    for (const AnnotationsPtr& set : annotations)
        for (const Feature& f : set->features()) {
            if (names.size() >= qsizetype(kMaxCompletions)) break;
            if (!f.name.empty() && seen.insert(f.name).second) names << QString::fromStdString(f.name);
        }
    names_->setStringList(names);
}

void LocusBar::showRegion(const Region& region) {
    if (edit_->hasFocus() && edit_->isModified()) return;
    edit_->setText(QString::fromStdString(format_locus(region)));
    edit_->setModified(false);
}

void LocusBar::recordVisit(const Region& region) {
    history_.visit(region);
    updateButtons();
}

void LocusBar::go(const QString& text) {
    auto r = resolveLocus(text.toStdString(), contigs_, annotations_);
    if (!r) {
        edit_->selectAll();
        emit locusError(QString::fromStdString(r.error().message));
        return;
    }
    edit_->setModified(false);
    emit regionRequested(*r);
}

void LocusBar::updateButtons() {
    back_->setEnabled(history_.canGoBack());
    forward_->setEnabled(history_.canGoForward());
}

}  // namespace ms::ui
