// The genome view's background loader: a worker thread that owns the ViewSource (the readers are
// not thread-safe, so exactly one thread uses them), opens files and answers view requests. Only
// the newest request is served: each request() replaces the pending one, a load in progress
// checks whether it was superseded and stops early, and the view drops any answer whose
// generation is not its latest. The GUI thread never reads a file.
#pragma once

#include <QObject>
#include <QString>
#include <QStringList>
#include <QThread>
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>

#include "ui/view_data.h"
#include "ui/view_source.h"

namespace ms::ui {

enum class SourceKind { Genome, Reads, Variants, Annotations, Database };
QString sourceKindName(SourceKind kind);   // "genome", "reads" ... for messages
// The kind of file a path holds, by its name (drag and drop, the command line); nullopt when the
// name says nothing.
std::optional<SourceKind> sourceKindOf(const QString& path);

// What the GUI needs after an open: the contigs to navigate and the open annotations (for the
// locus box's completion and feature search).
struct SourceState {
    ContigList contigs;
    std::vector<AnnotationsPtr> annotations;
};

class TrackLoader : public QObject {
    Q_OBJECT
public:
    explicit TrackLoader(QObject* parent = nullptr);
    ~TrackLoader() override;

    // Queued behind earlier opens; answered by opened().
    void open(ms::ui::SourceKind kind, const QString& path);
    // Replaces any pending request; answered by loaded() unless superseded first.
    void request(const ms::ui::ViewRequest& request);
    // Reference bases of a region; answered by sequenceFetched() with the same ticket.
    void fetchSequence(const ms::Region& region, quint64 ticket);

signals:
    void opened(ms::ui::SourceKind kind, const QString& path, bool ok, const QString& message,
                std::shared_ptr<const ms::ui::SourceState> state);
    void loaded(ms::ui::ViewDataPtr data);
    void sequenceFetched(quint64 ticket, bool ok, const QString& basesOrError);

private:
    void serveLatest();
    QThread thread_;
    QObject* worker_ = nullptr;                 // lives in thread_; queued calls run there
    std::unique_ptr<ViewSource> source_;        // used on thread_ only
    std::mutex pendingMutex_;
    std::optional<ViewRequest> pending_;
    std::atomic<uint64_t> latest_{0};
};

}  // namespace ms::ui

Q_DECLARE_METATYPE(ms::ui::ViewDataPtr)
Q_DECLARE_METATYPE(std::shared_ptr<const ms::ui::SourceState>)
Q_DECLARE_METATYPE(ms::ui::SourceKind)
