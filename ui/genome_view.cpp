#include "ui/genome_view.h"

#include <QContextMenuEvent>
#include <QFileInfo>
#include <QHelpEvent>
#include <QImage>
#include <QMenu>
#include <QMouseEvent>
#include <QPainter>
#include <QSvgGenerator>
#include <QToolTip>
#include <QWheelEvent>
#include <algorithm>
#include <cmath>
#include <map>

#include "ui/lane_tooltips.h"
#include "ui/track_painters.h"

namespace ms::ui {

namespace {

constexpr int kRulerHeight = 56;
constexpr int kSequenceHeight = 22;
constexpr int kPlotHeight = 64;
constexpr int kPredictionHeight = 26;
constexpr int kVariantHeight = 24;
constexpr int kScoredVariantHeight = 44;
constexpr int kCoverageHeight = 60;
constexpr int kFeatureRowHeight = 28;

int readHeightFor(int rows) { return rows > 30 ? 3 : 8; }
int readPitchFor(int rows) {
    const int h = readHeightFor(rows);
    return h + (h >= 6 ? 2 : 1);
}

}  // namespace

struct GenomeView::Lane {
    enum Kind { ruler, sequence, probabilities, track, predictions, variants, coverage, reads, features } kind;
    size_t index = 0;
    QRect rect;
};

GenomeView::GenomeView(QWidget* parent) : QWidget(parent) {
    qRegisterMetaType<Region>();
    qRegisterMetaType<ViewRequest>();
    setObjectName(QStringLiteral("genomeView"));
    setFocusPolicy(Qt::StrongFocus);
    setMouseTracking(false);
    setAutoFillBackground(false);
    settleTimer_.setSingleShot(true);
    settleTimer_.setInterval(400);
    connect(&settleTimer_, &QTimer::timeout, this, [this] { emit navigated(region_); });
}

void GenomeView::setContigs(const ContigList& contigs) {
    contigs_ = contigs;
    if (contigs_.empty()) {
        region_ = {};
        data_.reset();
        update();
        return;
    }
    // Keep the region when its contig is still there (another file opened), else show the first contig.
    const SequenceRecord* c = contigs_.find(region_.contig);
    if (!c) {
        const SequenceRecord& first = contigs_.contigs().front();
        setRegion(Region{first.name, 0, first.length});
        emit navigated(region_);
    } else {
        setRegion(region_);
    }
}

void GenomeView::setRegion(const Region& wanted) {
    const SequenceRecord* c = contigs_.find(wanted.contig);
    if (!c) return;
    Region r = wanted;
    const int64_t minSpan = std::min<int64_t>(kMinSpan, c->length);
    if (r.length() < minSpan) {
        const int64_t centre = (r.begin + r.end) / 2;
        r.begin = centre - minSpan / 2;
        r.end = r.begin + minSpan;
    }
    // Shift back inside the contig, keeping the width where it fits.
    const int64_t len = std::min(r.length(), c->length);
    r.begin = std::clamp<int64_t>(r.begin, 0, c->length - len);
    r.end = r.begin + len;
    if (r == region_ && data_) {
        requestIfNeeded();
        return;
    }
    region_ = r;
    emit regionChanged(region_);
    requestIfNeeded();
    update();
}

void GenomeView::zoomBy(double factor, std::optional<double> anchor) {
    if (region_.contig.empty() || factor <= 0) return;
    const double a = anchor.value_or((double(region_.begin) + double(region_.end)) / 2);
    const double begin = a - (a - double(region_.begin)) / factor;
    const double end = a + (double(region_.end) - a) / factor;
    setRegion(Region{region_.contig, int64_t(std::llround(begin)), int64_t(std::llround(end))});
}

void GenomeView::panBy(double fraction) {
    if (region_.contig.empty()) return;
    const int64_t shift = int64_t(std::llround(double(region_.length()) * fraction));
    setRegion(Region{region_.contig, region_.begin + shift, region_.end + shift});
}

void GenomeView::setSelection(const std::optional<Region>& selection) {
    selection_ = selection;
    update();
}

void GenomeView::setData(const ViewDataPtr& loaded) {
    if (!loaded || loaded->generation != generation_) return;   // stale: a newer request is out
    data_ = loaded;
    inFlight_.reset();
    updateGeometry();
    update();
    emit dataShown();
    requestIfNeeded();   // the view may have moved on while this was loading
}

void GenomeView::reload() {
    inFlight_.reset();
    data_.reset();
    requestIfNeeded();
    update();
}

void GenomeView::setRunFilter(qint64 run) {
    if (run == runFilter_) return;
    runFilter_ = run;
    reload();
}

double GenomeView::dataWidth() const { return std::max(1, width() - kNamePanelWidth); }

double GenomeView::positionAt(double x) const {
    return double(region_.begin) + (x - kNamePanelWidth) * double(region_.length()) / dataWidth();
}

// Asks for data when the cache does not cover the visible region at about the resolution the
// screen needs. A request covers three screens (one either side), so panning by up to a screen and
// zooming out by up to 3x repaint from the cache while the next load runs.
void GenomeView::requestIfNeeded() {
    if (region_.contig.empty()) return;
    const SequenceRecord* c = contigs_.find(region_.contig);
    if (!c) return;
    const double bpPerPx = double(region_.length()) / dataWidth();
    auto fits = [&](const Region& span, int bins) {
        if (span.contig != region_.contig || span.begin > region_.begin || span.end < region_.end) return false;
        const double bpPerBin = double(span.length()) / std::max(1, bins);
        // Coarser than the screen needs (and not yet at single bases), or far finer: load again.
        if (bpPerBin > 1.5 * bpPerPx && bpPerBin > 1) return false;
        if (bpPerBin < bpPerPx / 4) return false;
        return true;
    };
    if (data_ && fits(data_->span, data_->bins)) return;
    if (inFlight_ && fits(inFlight_->span, inFlight_->bins)) return;
    ViewRequest q;
    q.generation = ++generation_;
    q.run = runFilter_;
    const int64_t w = region_.length();
    q.span = Region{region_.contig, std::max<int64_t>(0, region_.begin - w), std::min(c->length, region_.end + w)};
    q.bins = std::max(1, int(std::lround(double(q.span.length()) / bpPerPx)));
    inFlight_ = q;
    emit dataRequested(q);
}

void GenomeView::settle() { settleTimer_.start(); }

std::vector<GenomeView::Lane> GenomeView::layoutLanes(int w) const {
    std::vector<Lane> lanes;
    int y = 0;
    auto add = [&](Lane::Kind kind, size_t index, int h) {
        lanes.push_back({kind, index, QRect(0, y, w, h)});
        y += h;
    };
    add(Lane::ruler, 0, kRulerHeight);
    if (!data_ || data_->span.contig != region_.contig) return lanes;
    const ViewData& d = *data_;
    if (d.genome) add(Lane::sequence, 0, kSequenceHeight);
    for (size_t i = 0; i < d.features.size(); ++i) add(Lane::features, i, d.features[i].rows * kFeatureRowHeight + 6);
    for (size_t i = 0; i < d.probabilities.size(); ++i) add(Lane::probabilities, i, kPlotHeight);
    for (size_t i = 0; i < d.tracks.size(); ++i) add(Lane::track, i, kPlotHeight);
    for (size_t i = 0; i < d.predictions.size(); ++i) add(Lane::predictions, i, kPredictionHeight);
    for (size_t i = 0; i < d.variants.size(); ++i)
        add(Lane::variants, i, d.variants[i].from_store ? kScoredVariantHeight : kVariantHeight);
    for (size_t i = 0; i < d.reads.size(); ++i) {
        add(Lane::coverage, i, kCoverageHeight);
        const ReadSet& r = d.reads[i];
        add(Lane::reads, i, r.reads_shown ? std::max(24, r.rows * readPitchFor(r.rows) + 6) : 24);
    }
    return lanes;
}

std::vector<std::pair<QString, QRect>> GenomeView::laneGeometry() const {
    static const char* const kNames[] = {"ruler", "sequence", "probabilities", "track", "predictions",
                                         "variants", "coverage", "reads", "features"};
    std::vector<std::pair<QString, QRect>> out;
    for (const Lane& lane : layoutLanes(width())) {
        QString name = QString::fromLatin1(kNames[lane.kind]);
        if (lane.kind == Lane::track) name += QLatin1Char(':') + QString::fromStdString(data_->tracks[lane.index].name);
        out.emplace_back(name, lane.rect);
    }
    return out;
}

int GenomeView::contentHeight() const {
    const auto lanes = layoutLanes(std::max(1, width()));
    return lanes.empty() ? kRulerHeight : lanes.back().rect.bottom() + 1;
}

QSize GenomeView::sizeHint() const { return QSize(900, std::max(300, contentHeight())); }
QSize GenomeView::minimumSizeHint() const { return QSize(kNamePanelWidth + 200, contentHeight()); }

void GenomeView::paintView(QPainter& p, const QSize& size) const {
    p.fillRect(QRect(QPoint(0, 0), size), Qt::white);
    if (region_.contig.empty()) {
        p.setPen(QColor(110, 110, 110));
        p.drawText(QRect(QPoint(0, 0), size).adjusted(20, 20, -20, -20), Qt::AlignCenter | Qt::TextWordWrap,
                   tr("Open a genome with File ▸ Open Genome…, or drop FASTA, BAM/CRAM, VCF, BED/GFF3/GTF or results "
                      "database files here."));
        return;
    }
    ViewMapping m;
    m.visible = region_;
    m.x0 = kNamePanelWidth;
    m.width = std::max(1, size.width() - kNamePanelWidth);
    const auto lanes = layoutLanes(size.width());
    const int64_t contigLength = contigs_.find(region_.contig) ? contigs_.find(region_.contig)->length : 0;
    // The scale each group of tracks shares (a run's four ism_ lanes): the union of their ranges.
    std::map<std::string, std::pair<double, double>> groupRange;
    if (data_)
        for (const TrackSeries& t : data_->tracks) {
            const std::string g = trackScaleGroup(t);
            if (g.empty()) continue;
            const auto r = trackRange(t, m);
            if (r.first > r.second) continue;
            auto [it, fresh] = groupRange.try_emplace(g, r);
            if (!fresh) it->second = {std::min(it->second.first, r.first), std::max(it->second.second, r.second)};
        }
    for (const Lane& lane : lanes) {
        if (lane.rect.top() >= size.height()) break;
        switch (lane.kind) {
        case Lane::ruler: paintRuler(p, lane.rect, m, contigLength); break;
        case Lane::sequence: paintSequence(p, lane.rect, m, *data_); break;
        case Lane::probabilities: paintProbabilities(p, lane.rect, m, data_->probabilities[lane.index]); break;
        case Lane::track: {
            const TrackSeries& t = data_->tracks[lane.index];
            const auto g = groupRange.find(trackScaleGroup(t));
            paintTrack(p, lane.rect, m, t, g == groupRange.end() ? nullptr : &g->second);
            break;
        }
        case Lane::predictions: paintPredictions(p, lane.rect, m, data_->predictions[lane.index]); break;
        case Lane::variants: paintVariants(p, lane.rect, m, data_->variants[lane.index]); break;
        case Lane::coverage: paintCoverage(p, lane.rect, m, *data_, data_->reads[lane.index]); break;
        case Lane::reads: {
            const ReadSet& r = data_->reads[lane.index];
            paintReads(p, lane.rect, m, r, readHeightFor(r.rows));
            break;
        }
        case Lane::features: paintFeatures(p, lane.rect, m, data_->features[lane.index], kFeatureRowHeight); break;
        }
    }
    const int bottom = lanes.back().rect.bottom();
    // The name panel continues below the last lane, so the page reads as one table.
    if (bottom + 1 < size.height()) {
        p.fillRect(QRect(0, bottom + 1, kNamePanelWidth, size.height() - bottom - 1), QColor(247, 247, 247));
        p.setPen(QColor(224, 224, 224));
        p.drawLine(kNamePanelWidth, bottom + 1, kNamePanelWidth, size.height());
    }
    // Not yet loaded (or parts outside the cached span): say so instead of showing a blank as data.
    const bool covered = data_ && data_->span.contig == region_.contig && data_->span.begin <= region_.begin &&
                         data_->span.end >= region_.end;
    if (!covered) {
        p.setPen(QColor(150, 150, 150));
        p.drawText(QRect(kNamePanelWidth, kRulerHeight, size.width() - kNamePanelWidth - 8, 20), Qt::AlignRight | Qt::AlignVCenter,
                   tr("loading…"));
    }
    if (data_ && !data_->errors.empty()) {
        p.setPen(QColor(180, 30, 30));
        p.drawText(QRect(kNamePanelWidth + 6, size.height() - 22, size.width() - kNamePanelWidth - 12, 20),
                   Qt::AlignLeft | Qt::AlignVCenter, QString::fromStdString(data_->errors.front()));
    }
    if (selection_ && selection_->contig == region_.contig) {
        const double x0 = std::max(m.x(double(selection_->begin)), m.x0), x1 = std::min(m.x(double(selection_->end)), m.x0 + m.width);
        if (x1 > x0) {
            const QRectF r(x0, 0, std::max(1.0, x1 - x0), size.height());
            p.fillRect(r, QColor(60, 120, 220, 40));
            p.setPen(QColor(60, 120, 220));
            p.drawLine(QLineF(r.topLeft(), r.bottomLeft()));
            p.drawLine(QLineF(r.topRight(), r.bottomRight()));
        }
    }
}

void GenomeView::paintEvent(QPaintEvent*) {
    QPainter p(this);
    paintView(p, size());
}

QString GenomeView::saveSnapshot(const QString& path, const QSize& size) const {
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (suffix == QLatin1String("svg")) {
        QSvgGenerator svg;
        svg.setFileName(path);
        svg.setSize(size);
        svg.setViewBox(QRect(QPoint(0, 0), size));
        svg.setTitle(QString::fromStdString(format_locus(region_)));
        svg.setDescription(tr("MambaScope genome view"));
        QPainter p;
        if (!p.begin(&svg)) return tr("cannot write the SVG file '%1'").arg(path);
        std::vector<LaneName> names;
        recordLaneNames(&names);
        paintView(p, size);
        recordLaneNames(nullptr);
        // The generator draws past every clip: names last, over whatever ran under them.
        for (const LaneName& n : names) paintLaneName(p, n.lane, n.panelWidth, n.title, n.detail);
        p.end();
        if (!QFileInfo::exists(path)) return tr("cannot write the SVG file '%1'").arg(path);
        return {};
    }
    if (suffix != QLatin1String("png")) return tr("cannot write '%1': a snapshot is .png or .svg").arg(path);
    QImage image(size, QImage::Format_ARGB32_Premultiplied);
    image.fill(Qt::white);
    {
        QPainter p(&image);
        p.setRenderHint(QPainter::TextAntialiasing);
        paintView(p, size);
    }
    if (!image.save(path, "PNG")) return tr("cannot write the PNG file '%1' (is the folder there and writable?)").arg(path);
    return {};
}

QString GenomeView::toolTipAt(const QPoint& pos) const {
    if (region_.contig.empty() || !data_ || data_->span.contig != region_.contig || pos.x() < kNamePanelWidth) return {};
    ViewMapping m;
    m.visible = region_;
    m.x0 = kNamePanelWidth;
    m.width = dataWidth();
    const double x = pos.x() + 0.5;   // the pixel's centre
    for (const Lane& lane : layoutLanes(width())) {
        if (!lane.rect.contains(pos)) continue;
        switch (lane.kind) {
        case Lane::predictions: return predictionTip(data_->predictions[lane.index], m, x);
        case Lane::variants: return variantTip(data_->variants[lane.index], m, x);
        case Lane::coverage: return coverageTip(*data_, data_->reads[lane.index], m, x);
        case Lane::reads: {
            const ReadSet& r = data_->reads[lane.index];
            return readTip(r, m, x, pos.y() - (lane.rect.top() + 2), readPitchFor(r.rows));   // paintReads' 2 px margin
        }
        default: return {};
        }
    }
    return {};
}

bool GenomeView::event(QEvent* event) {
    if (event->type() == QEvent::ToolTip) {
        auto* help = static_cast<QHelpEvent*>(event);
        const QString text = toolTipAt(help->pos());
        if (text.isEmpty()) QToolTip::hideText();
        else QToolTip::showText(help->globalPos(), text, this);
        return true;
    }
    return QWidget::event(event);
}

void GenomeView::resizeEvent(QResizeEvent*) { requestIfNeeded(); }

void GenomeView::mousePressEvent(QMouseEvent* event) {
    if (event->button() != Qt::LeftButton || region_.contig.empty() || event->position().x() < kNamePanelWidth) return;
    setFocus();
    dragStart_ = event->position().toPoint();
    dragStartRegion_ = region_;
    if (event->position().y() < kRulerHeight) drag_ = Drag::rulerZoom;
    else if (event->modifiers() & Qt::ShiftModifier) drag_ = Drag::select;
    else drag_ = Drag::pan;
    if (drag_ != Drag::pan) setSelection(std::nullopt);
}

void GenomeView::mouseMoveEvent(QMouseEvent* event) {
    if (drag_ == Drag::none) return;
    const double x = event->position().x();
    if (drag_ == Drag::pan) {
        const double bpPerPx = double(dragStartRegion_.length()) / dataWidth();
        const int64_t shift = int64_t(std::llround((dragStart_.x() - x) * bpPerPx));
        setRegion(Region{region_.contig, dragStartRegion_.begin + shift, dragStartRegion_.end + shift});
        return;
    }
    const double a = positionAt(dragStart_.x()), b = positionAt(std::max<double>(kNamePanelWidth, x));
    const int64_t lo = std::max<int64_t>(0, int64_t(std::floor(std::min(a, b))));
    const int64_t hi = std::min<int64_t>(region_.end, int64_t(std::ceil(std::max(a, b))));
    setSelection(Region{region_.contig, lo, std::max(lo + 1, hi)});
}

void GenomeView::mouseReleaseEvent(QMouseEvent* event) {
    if (event->button() != Qt::LeftButton) return;
    const Drag was = drag_;
    drag_ = Drag::none;
    if (was == Drag::pan && region_ != dragStartRegion_) emit navigated(region_);
    if (was == Drag::rulerZoom && selection_) {
        const Region target = *selection_;
        setSelection(std::nullopt);
        if (std::abs(event->position().x() - dragStart_.x()) >= 3) {
            setRegion(target);
            emit navigated(region_);
        }
    }
}

void GenomeView::mouseDoubleClickEvent(QMouseEvent* event) {
    if (region_.contig.empty() || event->position().x() < kNamePanelWidth) return;
    // Zoom in twice as far and centre on the click, as IGV does.
    const double at = positionAt(event->position().x());
    const double half = double(region_.length()) / 4;
    setRegion(Region{region_.contig, int64_t(std::llround(at - half)), int64_t(std::llround(at + half))});
    emit navigated(region_);
}

void GenomeView::wheelEvent(QWheelEvent* event) {
    if (region_.contig.empty()) return;
    const double notches = event->angleDelta().y() / 120.0;
    if (notches == 0) return;
    const double x = event->position().x();
    zoomBy(std::pow(2.0, notches), x >= kNamePanelWidth ? std::optional<double>(positionAt(x)) : std::nullopt);
    settle();
    event->accept();
}

void GenomeView::keyPressEvent(QKeyEvent* event) {
    const bool fast = event->modifiers() & Qt::ShiftModifier;
    switch (event->key()) {
    case Qt::Key_Left: panBy(fast ? -0.5 : -0.1); settle(); break;
    case Qt::Key_Right: panBy(fast ? 0.5 : 0.1); settle(); break;
    case Qt::Key_Plus: case Qt::Key_Equal: case Qt::Key_Up: zoomBy(2); settle(); break;
    case Qt::Key_Minus: case Qt::Key_Down: zoomBy(0.5); settle(); break;
    case Qt::Key_Escape: setSelection(std::nullopt); break;
    default: QWidget::keyPressEvent(event); return;
    }
    event->accept();
}

void GenomeView::contextMenuEvent(QContextMenuEvent* event) {
    if (region_.contig.empty()) return;
    const Region target = selection_.value_or(region_);
    QMenu menu(this);
    menu.setObjectName(QStringLiteral("genomeViewMenu"));
    const QString where = QString::fromStdString(format_locus(target));
    menu.addSection(selection_ ? tr("Selection %1").arg(where) : tr("Visible region %1").arg(where));
    menu.addAction(tr("Copy sequence"), this, [this, target] { emit copySequenceRequested(target); });
    menu.addSeparator();
    menu.addAction(tr("Score with the model…"), this, [this, target] { emit scoreRegionRequested(target); });
    menu.addAction(tr("Classify…"), this, [this, target] { emit classifyRegionRequested(target); });
    menu.addAction(tr("In-silico mutagenesis…"), this, [this, target] { emit mutagenesisRequested(target); });
    menu.addAction(tr("Export region…"), this, [this, target] { emit exportRegionRequested(target); });
    if (selection_) {
        menu.addSeparator();
        menu.addAction(tr("Zoom to selection"), this, [this, target] {
            setSelection(std::nullopt);
            setRegion(target);
            emit navigated(region_);
        });
        menu.addAction(tr("Clear selection"), this, [this] { setSelection(std::nullopt); });
    }
    menu.exec(event->globalPos());
}

}  // namespace ms::ui
