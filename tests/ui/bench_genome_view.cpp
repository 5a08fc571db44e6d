// Repaint time of the genome view from its cache for a whole 60 Mbp chromosome with the lanes of a
// full analysis: base probabilities, loglik, entropy, predictions (60,000 windows of 1 kb), VCF calls
// (100,000) and scored variants (20,000), and 3,000 genes of 8 exons. The cache holds what the loader hands
// over for such a view (three screens of bins, or capped marks), built here directly: the paint
// path is what is measured, not the database. Issue 9's target: <= 16 ms a repaint.
// With --genome, --bam and --locus it measures real reads instead: the view of LOCUS loaded once
// through the loader's own code (ViewSource: reads compared with the reference, mismatches,
// indels and allele counts), then repainted from that cache; the load time is printed too.
//   bench_genome_view [--width 1600] [--repeats 50] [--genome G.fa --bam R.bam --locus chr:from-to]
#include <QApplication>
#include <QElapsedTimer>
#include <QImage>
#include <QPainter>
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <random>

#include "ui/genome_view.h"
#include "ui/view_source.h"

using namespace ms::ui;

namespace {

constexpr int64_t kLength = 60'000'000;

ViewDataPtr synthesize(const ViewRequest& q) {
    auto d = std::make_shared<ViewData>();
    d->generation = q.generation;
    d->span = q.span;
    d->bins = q.bins;
    d->contig_length = kLength;
    d->genome = true;
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> u(0, 1);
    auto series = [&](float lo, float hi) {
        std::vector<ms::TrackBin> bins(size_t(q.bins));
        for (int i = 0; i < q.bins; ++i) {
            const float a = lo + (hi - lo) * u(rng), b = lo + (hi - lo) * u(rng), c = lo + (hi - lo) * u(rng);
            bins[size_t(i)] = {q.span.begin + q.span.length() * i / q.bins, q.span.begin + q.span.length() * (i + 1) / q.bins,
                               (a + b + c) / 3, std::min({a, b, c}), std::max({a, b, c})};
        }
        return bins;
    };
    BaseProbabilities p;
    p.label = "base probabilities";
    for (auto& ch : p.channel) ch = series(0, 1);
    d->probabilities.push_back(std::move(p));
    d->tracks.push_back({"loglik", "loglik", series(-6, 0)});
    d->tracks.push_back({"entropy", "entropy", series(0, 2)});
    PredictionSet preds;
    preds.label = "predictions";
    preds.classes = {"promoter", "enhancer", "background"};
    for (int64_t b = 0; b < kLength; b += 1000)
        preds.spans.push_back({b, b + 1000, preds.classes[size_t(rng() % 3)], "w", 0.9});
    d->predictions.push_back(std::move(preds));
    VariantSet vcf;
    vcf.label = "calls.vcf.gz";
    for (int i = 0; i < 100'000; ++i) {
        const int64_t pos = int64_t(rng() % uint64_t(kLength));
        vcf.marks.push_back({pos, pos + 1, "A", "G", "", {}, {}});
    }
    std::sort(vcf.marks.begin(), vcf.marks.end(), [](const VariantMark& a, const VariantMark& b) { return a.begin < b.begin; });
    d->variants.push_back(vcf);
    VariantSet scored;
    scored.label = "variant scores";
    scored.from_store = true;
    for (int i = 0; i < 20'000; ++i) {
        const int64_t pos = int64_t(rng() % uint64_t(kLength));
        scored.marks.push_back({pos, pos + 1, "A", "G", "", double(u(rng) * 8 - 4), "llr"});
    }
    d->variants.push_back(std::move(scored));
    ReadSet reads;
    reads.label = "sample.bam";
    reads.note = "zoom in to see coverage";   // what a 60 Mbp view of a BAM shows
    d->reads.push_back(std::move(reads));
    FeatureSet genes;
    genes.label = "genes.gff3";
    genes.rows = 10;
    for (int g = 0; g < 3000; ++g) {
        const int64_t begin = int64_t(g) * 20'000, end = begin + 15'000;
        genes.features.push_back({begin, end, "GENE" + std::to_string(g), "gene", '+', g % 10, false});
        for (int e = 0; e < 8; ++e)
            genes.features.push_back({begin + e * 1800, begin + e * 1800 + 300, "", "exon", '+', g % 10, true});
    }
    d->features.push_back(std::move(genes));
    return d;
}

}  // namespace

int main(int argc, char** argv) {
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    int width = 1600, repeats = 50;
    std::string genome, bam, locus;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (std::strcmp(argv[i], "--width") == 0) width = std::atoi(argv[i + 1]);
        else if (std::strcmp(argv[i], "--repeats") == 0) repeats = std::atoi(argv[i + 1]);
        else if (std::strcmp(argv[i], "--genome") == 0) genome = argv[i + 1];
        else if (std::strcmp(argv[i], "--bam") == 0) bam = argv[i + 1];
        else if (std::strcmp(argv[i], "--locus") == 0) locus = argv[i + 1];
    }
    GenomeView view;
    view.resize(width, 900);
    ViewSource source;
    std::string what = "chr1 (60 Mbp)";
    if (!genome.empty() || !bam.empty() || !locus.empty()) {
        if (genome.empty() || bam.empty() || locus.empty())
            return std::fprintf(stderr, "--genome, --bam and --locus go together\n"), 2;
        if (auto r = source.openGenome(genome); !r) return std::fprintf(stderr, "%s\n", r.error().message.c_str()), 1;
        if (auto r = source.openReads(bam); !r) return std::fprintf(stderr, "%s\n", r.error().message.c_str()), 1;
        auto region = ms::parse_locus(locus, source.contigs());
        if (!region) return std::fprintf(stderr, "--locus: %s\n", region.error().message.c_str()), 1;
        double loadMs = 0;
        QObject::connect(&view, &GenomeView::dataRequested, [&](const ViewRequest& q) {
            QElapsedTimer t;
            t.start();
            view.setData(std::make_shared<ViewData>(source.load(q)));
            loadMs = double(t.nsecsElapsed()) / 1e6;
        });
        view.setContigs(source.contigs());
        view.setRegion(*region);
        const ReadSet& r = view.data()->reads.at(0);
        size_t differences = 0;
        for (const ReadPlacement& p : r.reads) differences += p.differences.size();
        std::printf("load of %s (3 screens, %lld bp): %.1f ms, %zu reads, %zu differences, %zu coloured coverage columns\n",
                    locus.c_str(), static_cast<long long>(view.data()->span.length()), loadMs, r.reads.size(), differences,
                    r.alleles.size());
        what = locus;
    } else {
        QObject::connect(&view, &GenomeView::dataRequested, [&](const ViewRequest& q) { view.setData(synthesize(q)); });
        view.setContigs(ms::ContigList({{"chr1", kLength}}));
        view.setRegion(ms::Region{"chr1", 0, kLength});
    }
    const QSize size(width, view.contentHeight());
    QImage image(size, QImage::Format_ARGB32_Premultiplied);
    std::vector<double> ms;
    for (int r = 0; r < repeats; ++r) {
        QElapsedTimer t;
        t.start();
        {
            QPainter p(&image);
            view.paintView(p, size);
        }
        ms.push_back(double(t.nsecsElapsed()) / 1e6);
    }
    std::sort(ms.begin(), ms.end());
    std::printf("repaint of %s from cache, %dx%d px, %zu lanes, %d repeats: median %.2f ms, max %.2f ms\n", what.c_str(),
                size.width(), size.height(), view.laneGeometry().size(), repeats, ms[ms.size() / 2], ms.back());
    image.save(QStringLiteral("bench_genome_view.png"));
    return 0;
}
