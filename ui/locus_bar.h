// The bar above the genome view: back/forward, the locus box (a locus, a sequence name or a
// feature name, with completion over the open contigs and annotation features), zoom out/in.
// It resolves what was typed (locus_search.h) and reports a region or, for text it cannot read,
// a message in words; the main window shows the region and the message.
#pragma once

#include <QWidget>
#include <vector>

#include "genomics/locus.h"
#include "ui/navigation_history.h"
#include "ui/view_source.h"

class QCompleter;
class QLineEdit;
class QStringListModel;
class QToolButton;

namespace ms::ui {

class LocusBar : public QWidget {
    Q_OBJECT
public:
    explicit LocusBar(QWidget* parent = nullptr);

    // What typed text is resolved against; names for completion come from both.
    void setSources(const ContigList& contigs, const std::vector<AnnotationsPtr>& annotations);
    // Shows the view's region in the box (unless the user is typing there).
    void showRegion(const ms::Region& region);
    // A navigation step settled in the view: recorded for Back/Forward.
    void recordVisit(const ms::Region& region);
    // Resolves `text` as if typed and entered.
    void go(const QString& text);
    QLineEdit* edit() const { return edit_; }

signals:
    void regionRequested(const ms::Region& region);
    void locusError(const QString& message);
    void zoomRequested(double factor);

private:
    void updateButtons();
    QLineEdit* edit_ = nullptr;
    QCompleter* completer_ = nullptr;
    QStringListModel* names_ = nullptr;
    QToolButton *back_ = nullptr, *forward_ = nullptr;
    ContigList contigs_;
    std::vector<AnnotationsPtr> annotations_;
    NavigationHistory history_;
};

}  // namespace ms::ui
