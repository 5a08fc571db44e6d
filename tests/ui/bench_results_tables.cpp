// How long the predictions table takes to show its first page, and a further page, over a run of
// 1,000,000 predictions, for each order and filter the panel offers; and the PCA of 20,000 × 256
// embeddings behind the embeddings plot. A measurement, not a test: run it by hand
// (bench_results_tables [DB]; the database is made once when missing).
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QTest>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "genomics/results_store.h"
#include "ui/embedding_projection.h"
#include "ui/results_models.h"

using namespace ms;
using namespace ms::ui;

namespace {
constexpr int64_t kRows = 1000000;

bool make(const std::string& path) {
    auto store = ResultsStore::open(path);
    if (!store) return std::fprintf(stderr, "%s\n", store.error().message.c_str()), false;
    RunInfo info;
    info.params_json = R"({"command":"classify"})";
    const int64_t run = *store->begin_run(info);
    const int64_t seq = *store->add_sequence(run, {"chr1", kRows * 100, "", ""});
    (void)store->set_prediction_classes(run, {"coding", "noncoding"});
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> u(0.5f, 1.0f);
    std::vector<Prediction> batch;
    for (int64_t i = 0; i < kRows; ++i) {
        Prediction p;
        p.item = "chr1";
        p.sequence_id = seq;
        p.begin = i * 100;
        p.end = p.begin + 100;
        const float s = u(rng);
        p.label = (i % 3) ? "coding" : "noncoding";
        p.score = s;
        p.probs = {s, 1 - s};
        batch.push_back(std::move(p));
        if (batch.size() == 50000) {
            if (auto r = store->write_predictions(run, batch); !r) return std::fprintf(stderr, "%s\n", r.error().message.c_str()), false;
            batch.clear();
        }
    }
    return bool(store->finish_run(run, RunStatus::finished));
}

double firstPage(PredictionsModel& m, const std::function<void()>& change) {
    QElapsedTimer t;
    t.start();
    change();
    if (!QTest::qWaitFor([&] { return m.rowCount() > 0 && !m.loading(); }, 60000)) {
        std::fprintf(stderr, "bench_results_tables: the first page did not arrive within 60 s\n");
        std::exit(1);
    }
    return t.nsecsElapsed() / 1e6;
}
}  // namespace

int main(int argc, char** argv) {
    QCoreApplication app(argc, argv);
    const QString db = argc > 1 ? QString::fromLocal8Bit(argv[1]) : QStringLiteral("/tmp/bench_results_tables.db");
    if (!QFileInfo::exists(db)) {
        QElapsedTimer t;
        t.start();
        if (!make(db.toStdString())) return 1;
        std::printf("made %s: %lld predictions in %.1f s\n", qPrintable(db), static_cast<long long>(kRows), t.elapsed() / 1e3);
    }
    PredictionsModel m;
    std::printf("first page (500 rows) over %lld predictions, ms:\n", static_cast<long long>(kRows));
    std::printf("  by position            %8.1f\n", firstPage(m, [&] { m.setRun(db, 1); }));
    QElapsedTimer t;
    t.start();
    m.fetchMore({});
    if (!QTest::qWaitFor([&] { return m.rowCount() == 1000 && !m.loading(); }, 60000)) {
        std::fprintf(stderr, "bench_results_tables: the next page did not arrive within 60 s\n");
        return 1;
    }
    std::printf("  next page (fetchMore)  %8.1f\n", t.nsecsElapsed() / 1e6);
    std::printf("  by score, descending   %8.1f\n", firstPage(m, [&] { m.sort(PredictionsModel::Score, Qt::DescendingOrder); }));
    std::printf("  by label               %8.1f\n", firstPage(m, [&] { m.sort(PredictionsModel::Label, Qt::AscendingOrder); }));
    PredictionFilter f;
    f.label = QStringLiteral("noncoding");
    f.minScore = 0.9;
    std::printf("  label + min score      %8.1f\n", firstPage(m, [&] { m.setFilter(f); }));
    f = {};
    f.region = QStringLiteral("chr1:50,000,001-50,100,000");
    std::printf("  region (1,000 rows)    %8.1f\n", firstPage(m, [&] { m.setFilter(f); }));
    f = {};
    f.text = QStringLiteral("CHR");
    std::printf("  item text              %8.1f\n", firstPage(m, [&] { m.setFilter(f); }));

    const int n = 20000, d = 256;
    std::vector<float> x(size_t(n) * d);
    std::mt19937 rng(2);
    std::normal_distribution<float> g;
    for (float& v : x) v = g(rng);
    t.restart();
    const Projection2D p = pca2d(x, n, d);
    std::printf("PCA of %d x %d embeddings: %.1f ms (PC1 %.2f %% of variance)\n", n, d, t.nsecsElapsed() / 1e6, p.explained[0] * 100);
    return 0;
}
