#include "ui/track_loader.h"

#include <QFileInfo>
#include <QMetaObject>

namespace ms::ui {

QString sourceKindName(SourceKind kind) {
    switch (kind) {
    case SourceKind::Genome: return QObject::tr("genome");
    case SourceKind::Reads: return QObject::tr("reads");
    case SourceKind::Variants: return QObject::tr("variants");
    case SourceKind::Annotations: return QObject::tr("annotations");
    case SourceKind::Database: return QObject::tr("results database");
    }
    return {};
}

std::optional<SourceKind> sourceKindOf(const QString& path) {
    QString name = QFileInfo(path).fileName().toLower();
    if (name.endsWith(QLatin1String(".gz")) || name.endsWith(QLatin1String(".bgz"))) name.truncate(name.lastIndexOf('.'));
    auto is = [&](std::initializer_list<const char*> exts) {
        for (const char* e : exts)
            if (name.endsWith(QLatin1String(e))) return true;
        return false;
    };
    if (is({".fa", ".fasta", ".fna", ".fas"})) return SourceKind::Genome;
    if (is({".bam", ".cram", ".sam"})) return SourceKind::Reads;
    if (is({".vcf", ".bcf"})) return SourceKind::Variants;
    if (is({".bed", ".gff", ".gff3", ".gtf"})) return SourceKind::Annotations;
    if (is({".db", ".sqlite", ".sqlite3"}) || looks_like_sqlite(path.toStdString())) return SourceKind::Database;
    return std::nullopt;
}

TrackLoader::TrackLoader(QObject* parent) : QObject(parent), source_(std::make_unique<ViewSource>()) {
    qRegisterMetaType<ViewDataPtr>();
    qRegisterMetaType<std::shared_ptr<const SourceState>>();
    qRegisterMetaType<SourceKind>();
    worker_ = new QObject;
    worker_->moveToThread(&thread_);
    connect(&thread_, &QThread::finished, worker_, &QObject::deleteLater);
    thread_.setObjectName(QStringLiteral("track loader"));
    thread_.start();
}

TrackLoader::~TrackLoader() {
    latest_ = ~uint64_t(0);   // any load in progress sees itself superseded and stops
    thread_.quit();
    thread_.wait();
}

void TrackLoader::open(SourceKind kind, const QString& path) {
    QMetaObject::invokeMethod(worker_, [this, kind, path] {
        const std::string p = path.toStdString();
        Result<void> r;
        switch (kind) {
        case SourceKind::Genome: r = source_->openGenome(p); break;
        case SourceKind::Reads: r = source_->openReads(p); break;
        case SourceKind::Variants: r = source_->openVariants(p); break;
        case SourceKind::Annotations: {
            auto a = source_->openAnnotations(p);
            if (!a) r = a.error();
            break;
        }
        case SourceKind::Database: r = source_->openDatabase(p); break;
        }
        auto state = std::make_shared<SourceState>();
        state->contigs = source_->contigs();
        state->annotations = source_->annotations();
        emit opened(kind, path, r.ok(), r.ok() ? QString() : QString::fromStdString(r.error().message), state);
    }, Qt::QueuedConnection);
}

void TrackLoader::request(const ViewRequest& request) {
    {
        std::lock_guard lock(pendingMutex_);
        pending_ = request;
    }
    latest_ = request.generation;
    QMetaObject::invokeMethod(worker_, [this] { serveLatest(); }, Qt::QueuedConnection);
}

// Runs on the worker thread. Several queued calls may find one pending request: the first serves
// it, the others find nothing to do.
void TrackLoader::serveLatest() {
    std::optional<ViewRequest> q;
    {
        std::lock_guard lock(pendingMutex_);
        q.swap(pending_);
    }
    if (!q) return;
    const uint64_t generation = q->generation;
    auto data = std::make_shared<ViewData>(source_->load(*q, [this, generation] { return latest_ != generation; }));
    if (latest_ != generation) return;
    emit loaded(std::move(data));
}

void TrackLoader::fetchSequence(const Region& region, quint64 ticket) {
    QMetaObject::invokeMethod(worker_, [this, region, ticket] {
        auto bases = source_->fetchBases(region);
        emit sequenceFetched(ticket, bases.ok(),
                             QString::fromStdString(bases ? *bases : bases.error().message));
    }, Qt::QueuedConnection);
}

}  // namespace ms::ui
