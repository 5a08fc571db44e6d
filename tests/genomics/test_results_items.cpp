// The results store's predictions, variants and embeddings: idempotent writes, listings with
// filters, sorts and pages, hostile text kept as data, cosine nearest neighbours against a plain
// double-precision reference, and the quantised track encodings' error bounds.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "genomics/embeddings_knn.h"
#include "genomics/results_store.h"
#include "genomics/track_tiles.h"
#include "tests/common/harness.h"
#include "tests/genomics/store_test_util.h"

namespace fs = std::filesystem;
using ms::ResultsStore;

namespace {

using ms::test::contains;
using ms::test::ok;

std::string fresh_db(const std::string& name) { return ms::test::fresh_db("results_items_tmp", name); }


struct Fixture {
    std::string path;
    ResultsStore store;
    int64_t run = 0, chr1 = 0, chr2 = 0;
};
Fixture make(const std::string& name) {
    const std::string path = fresh_db(name);
    auto store = ok(ResultsStore::open(path));
    const int64_t run = ok(store.begin_run(
        {"0.1.0", "abc", "mambascope-cli classify", "{}", "m", "", "cpu", "fp32", {{"genome.fa", "fasta", 1234}}}));
    const int64_t chr1 = ok(store.add_sequence(run, {"chr1", 100000, "", "genome.fa"}));
    const int64_t chr2 = ok(store.add_sequence(run, {"chr2", 50000, "", "genome.fa"}));
    return {path, std::move(store), run, chr1, chr2};
}

// 100 windows of 1 kbp over chr1 and 100 of 400 bp over chr2 with labels, scores and 3 class probabilities.
std::vector<ms::Prediction> windows(int64_t chr1, int64_t chr2) {
    std::vector<ms::Prediction> out;
    const char* labels[] = {"promoter", "enhancer", "background"};
    for (int i = 0; i < 200; ++i) {
        ms::Prediction p;
        p.sequence_id = i < 100 ? chr1 : chr2;
        p.begin = int64_t(i % 100) * (i < 100 ? 1000 : 400);
        p.end = p.begin + (i < 100 ? 1000 : 400);
        p.label = labels[i % 3];
        p.score = double((i * 37) % 200) / 200.0;
        p.probs = {0.5f, 0.25f, 0.25f};
        out.push_back(p);
    }
    return out;
}

}  // namespace

MS_TEST(predictions_are_filtered_sorted_and_paged) {
    Fixture f = make("predictions");
    ok(f.store.set_prediction_classes(f.run, {"promoter", "enhancer", "background"}));
    const auto preds = windows(f.chr1, f.chr2);
    ok(f.store.write_predictions(f.run, preds));
    MS_CHECK_EQ(ok(f.store.prediction_classes(f.run)).size(), 3u);

    ms::PredictionQuery q;
    q.run_id = f.run;
    q.limit = 1000;
    MS_CHECK_EQ(ok(f.store.count_predictions(q)), 200);
    // Overlap filter on chr1 [2500, 5500): windows 2000..5000 begin (4 of them).
    q.sequence_id = f.chr1;
    q.begin = 2500;
    q.end = 5500;
    const auto overlap = ok(f.store.query_predictions(q));
    MS_CHECK_EQ(overlap.size(), 4u);
    MS_CHECK_EQ(overlap.front().p.begin, 2000);
    MS_CHECK_EQ(overlap.back().p.begin, 5000);
    MS_CHECK_EQ(overlap.front().p.probs.size(), 3u);
    MS_CHECK_EQ(overlap.front().p.probs[1], 0.25f);

    // Label and score filters, sorted by score descending, paged 7 at a time: the pages join into
    // exactly the filtered rows in order.
    ms::PredictionQuery s;
    s.run_id = f.run;
    s.label = "enhancer";
    s.min_score = 0.25;
    s.sort = ms::PredictionQuery::SortBy::score;
    s.descending = true;
    s.limit = 7;
    const int64_t total = ok(f.store.count_predictions(s));
    int64_t expect = 0;
    for (const auto& p : preds) expect += p.label == "enhancer" && *p.score >= 0.25;
    MS_CHECK_EQ(total, expect);
    std::vector<ms::StoredPrediction> all;
    for (s.offset = 0; s.offset < total + 7; s.offset += 7) {
        const auto page = ok(f.store.query_predictions(s));
        MS_CHECK(int64_t(page.size()) <= 7);
        all.insert(all.end(), page.begin(), page.end());
    }
    MS_CHECK_EQ(int64_t(all.size()), total);
    for (size_t i = 1; i < all.size(); ++i) {
        MS_CHECK(*all[i - 1].p.score >= *all[i].p.score);
        if (*all[i - 1].p.score == *all[i].p.score) MS_CHECK(all[i - 1].id > all[i].id);
    }
    for (const auto& p : all) MS_CHECK(p.p.label == "enhancer" && *p.p.score >= 0.25);

    // Item, kind and length sort by what they show (they sorted by insertion order or start).
    for (const auto by :
         {ms::PredictionQuery::SortBy::item, ms::PredictionQuery::SortBy::kind, ms::PredictionQuery::SortBy::length}) {
        ms::PredictionQuery o;
        o.run_id = f.run;
        o.sort = by;
        o.descending = true;
        o.limit = 1 << 20;
        const auto rows = ok(f.store.query_predictions(o));
        MS_CHECK_EQ(int64_t(rows.size()), ok(f.store.count_predictions(o)));
        for (size_t i = 1; i < rows.size(); ++i) {
            const auto& a = rows[i - 1].p;
            const auto& b = rows[i].p;
            if (by == ms::PredictionQuery::SortBy::item) MS_CHECK(a.item >= b.item);
            if (by == ms::PredictionQuery::SortBy::kind)
                MS_CHECK(std::string(to_string(a.kind)) >= std::string(to_string(b.kind)));
            if (by == ms::PredictionQuery::SortBy::length) MS_CHECK(a.end - a.begin >= b.end - b.begin);
        }
    }

    // A resumed job writes the same windows again, one with a new score: no duplicates.
    auto again = preds;
    again[0].score = 1.5;
    ok(f.store.write_predictions(f.run, again));
    q = {};
    q.run_id = f.run;
    MS_CHECK_EQ(ok(f.store.count_predictions(q)), 200);
    q.min_score = 1.5;
    MS_CHECK_EQ(ok(f.store.query_predictions(q)).size(), 1u);
}

MS_TEST(prediction_text_is_data_and_bad_predictions_are_refused) {
    Fixture f = make("hostile");
    ms::Prediction read;
    read.kind = ms::ItemKind::read;
    read.item = "read'); DROP TABLE runs; --";
    read.label = "x' OR '1'='1";
    read.end = 150;  // an unplaced read: sequence_id 0
    ok(f.store.write_predictions(f.run, std::vector{read}));
    ms::PredictionQuery q;
    q.run_id = f.run;
    q.label = "x' OR '1'='1";
    q.kind = ms::ItemKind::read;
    const auto got = ok(f.store.query_predictions(q));
    MS_CHECK_EQ(got.size(), 1u);
    MS_CHECK_EQ(got[0].p.item, read.item);
    MS_CHECK_EQ(got[0].p.sequence_id, 0);
    MS_CHECK(!got[0].p.score.has_value());
    q.label = "x";
    MS_CHECK_EQ(ok(f.store.query_predictions(q)).size(), 0u);
    MS_CHECK_EQ(ok(f.store.list_runs()).size(), 1u);
    // The item text filter matches literally and in any case: '%' and '_' are not wildcards.
    ms::PredictionQuery text{.run_id = f.run};
    text.item_contains = "DROP table";
    MS_CHECK_EQ(ok(f.store.count_predictions(text)), 1);
    MS_CHECK_EQ(ok(f.store.query_predictions(text)).size(), 1u);
    for (const char* miss : {"%", "_", "drop  table", "read_"}) {
        text.item_contains = miss;
        MS_CHECK_MSG(ok(f.store.count_predictions(text)) == 0, miss);
    }
    // Unplaced reads are keyed by name: writing it again does not duplicate it either.
    ok(f.store.write_predictions(f.run, std::vector{read}));
    MS_CHECK_EQ(ok(f.store.count_predictions({.run_id = f.run})), 1);

    ms::Prediction bad;
    bad.sequence_id = f.chr2;
    bad.begin = 49900;
    bad.end = 50100;
    auto r = f.store.write_predictions(f.run, std::vector{bad});
    MS_CHECK(!r);
    MS_CHECK_MSG(contains(r.error().message, "outside sequence 'chr2' (0-50000)"), r.error().message);
    ok(f.store.set_prediction_classes(f.run, {"a", "b"}));
    bad.end = 50000;
    bad.probs = {1, 0, 0};
    r = f.store.write_predictions(f.run, std::vector{bad});
    MS_CHECK(!r);
    MS_CHECK_MSG(contains(r.error().message, "has 3 class probabilities; run 1 has 2 classes"), r.error().message);
    r = f.store.write_predictions(999, std::vector{read});
    MS_CHECK(!r);
    MS_CHECK_MSG(contains(r.error().message, "table predictions: no run 999"), r.error().message);
    ms::PredictionQuery neg;
    neg.run_id = f.run;
    neg.limit = -1;
    MS_CHECK(!f.store.query_predictions(neg));
}

MS_TEST(variants_upsert_and_list_by_position_and_score) {
    Fixture f = make("variants");
    std::vector<ms::Variant> vs;
    for (int i = 0; i < 50; ++i)
        vs.push_back({i % 2 ? "chr2" : "chr1",
                      1000 + i * 10,
                      "A",
                      i % 3 ? "G" : "T",
                      ms::cat("rs", i),
                      {{"llr", -double(i) / 10}, {"ref_loglik", -1.0}}});
    ok(f.store.write_variants(f.run, vs));
    // Rewriting the first variant with a new score and without ref_loglik replaces its scores.
    vs[0].scores = {{"llr", 7.5}};
    ok(f.store.write_variants(f.run, std::vector{vs[0]}));

    ms::VariantQuery q;
    q.run_id = f.run;
    q.limit = 100;
    const auto listed = ok(f.store.query_variants(q));
    MS_CHECK_EQ(listed.size(), 50u);
    MS_CHECK_EQ(listed[0].v.chrom, std::string("chr1"));
    MS_CHECK_EQ(listed[0].v.pos, 1000);
    MS_CHECK_EQ(listed[0].v.scores.size(), 1u);
    MS_CHECK_EQ(listed[0].v.scores[0].second, 7.5);
    MS_CHECK_EQ(listed[1].v.scores.size(), 2u);
    MS_CHECK_EQ(listed[1].v.scores[0].first, std::string("llr"));  // ordered by name
    for (size_t i = 1; i < listed.size(); ++i)
        MS_CHECK(listed[i - 1].v.chrom < listed[i].v.chrom ||
                 (listed[i - 1].v.chrom == listed[i].v.chrom && listed[i - 1].v.pos < listed[i].v.pos));

    // ID, REF and ALT sort by what they show (they kept position order).
    for (const auto by :
         {ms::VariantQuery::SortBy::name, ms::VariantQuery::SortBy::ref, ms::VariantQuery::SortBy::alt}) {
        ms::VariantQuery o = q;
        o.sort = by;
        const auto rows = ok(f.store.query_variants(o));
        MS_CHECK_EQ(rows.size(), listed.size());
        for (size_t i = 1; i < rows.size(); ++i) {
            const auto& a = rows[i - 1].v;
            const auto& b = rows[i].v;
            if (by == ms::VariantQuery::SortBy::name) MS_CHECK(a.name <= b.name);
            if (by == ms::VariantQuery::SortBy::ref) MS_CHECK(a.ref <= b.ref);
            if (by == ms::VariantQuery::SortBy::alt) MS_CHECK(a.alt <= b.alt);
        }
    }

    q.chrom = "chr2";
    q.first_pos = 1100;
    q.last_pos = 1300;  // chr2 positions 1010, 1030, ... : 1110..1290 → 10
    q.score_name = "llr";
    q.sort = ms::VariantQuery::SortBy::score;
    const auto by_score = ok(f.store.query_variants(q));
    MS_CHECK_EQ(by_score.size(), 10u);
    for (size_t i = 1; i < by_score.size(); ++i)
        MS_CHECK(by_score[i - 1].v.scores[0].second <= by_score[i].v.scores[0].second);
    q.max_score = -2.0;
    for (const auto& v : ok(f.store.query_variants(q))) MS_CHECK(v.v.scores[0].second <= -2.0);
    MS_CHECK_EQ(ok(f.store.count_variants(q)), int64_t(ok(f.store.query_variants(q)).size()));

    // |llr| >= 3 (either sign), IDs containing "RS1" in any case, counted without the page limit.
    ms::VariantQuery a;
    a.run_id = f.run;
    a.score_name = "llr";
    a.min_abs_score = 3.0;
    a.limit = 5;
    int64_t strong = 0;
    for (const auto& v : vs) strong += std::fabs(v.scores[0].second) >= 3.0;  // vs[0] is now 7.5
    MS_CHECK_EQ(ok(f.store.count_variants(a)), strong);
    MS_CHECK_EQ(ok(f.store.query_variants(a)).size(), 5u);
    ms::VariantQuery n;
    n.run_id = f.run;
    n.name_contains = "RS1";
    const auto named = ok(f.store.query_variants(n));
    MS_CHECK_EQ(named.size(), 11u);  // rs1, rs10 … rs19
    for (const auto& v : named) MS_CHECK(v.v.name.rfind("rs1", 0) == 0);
    MS_CHECK_EQ(ok(f.store.count_variants(n)), 11);
    n.name_contains = "%";  // a literal character, not a pattern
    MS_CHECK_EQ(ok(f.store.count_variants(n)), 0);
    a.score_name.clear();
    MS_CHECK(!f.store.count_variants(a));
    q.score_name.clear();
    auto r = f.store.query_variants(q);
    MS_CHECK(!r);
    MS_CHECK_MSG(contains(r.error().message, "needs the score's name"), r.error().message);

    ms::Variant twice{"chr1", 5, "C", "A", "", {{"llr", 1}, {"llr", 2}}};
    auto w = f.store.write_variants(f.run, std::vector{twice});
    MS_CHECK(!w);
    MS_CHECK_MSG(contains(w.error().message, "score 'llr' is given twice"), w.error().message);
    MS_CHECK(!f.store.write_variants(f.run, std::vector{ms::Variant{"chr1", 0, "C", "A"}}));
    MS_CHECK_EQ(ok(f.store.counts()).variants, 50);
}

MS_TEST(nearest_neighbours_equal_a_double_precision_scan) {
    // 3,000 random 48-d vectors (a dimension that is not a multiple of 16, to use the tail loop),
    // plus exact duplicates to exercise the tie order.
    const int dim = 48, n = 3000;
    std::mt19937 rng(5);
    std::normal_distribution<float> g;
    std::vector<std::vector<float>> vs(n, std::vector<float>(dim));
    for (auto& v : vs)
        for (float& x : v) x = g(rng);
    vs[10] = vs[20];
    ms::EmbeddingIndex index(dim);
    for (int i = 0; i < n; ++i) ok(index.add(100 + i, vs[size_t(i)]));
    for (int trial = 0; trial < 5; ++trial) {
        std::vector<float> query = vs[size_t(trial * 7 + 10)];
        for (float& x : query) x += 0.3f * g(rng);
        std::vector<std::pair<double, int64_t>> ref;
        double qn = 0;
        for (float x : query) qn += double(x) * x;
        for (int i = 0; i < n; ++i) {
            double dot = 0, vn = 0;
            for (int j = 0; j < dim; ++j) dot += double(vs[size_t(i)][size_t(j)]) * query[size_t(j)];
            for (float x : vs[size_t(i)]) vn += double(x) * x;
            ref.push_back({dot / std::sqrt(qn * vn), 100 + i});
        }
        std::sort(ref.begin(), ref.end(),
                  [](auto a, auto b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
        for (int threads : {1, 2, 3}) {
            const auto got = ok(index.nearest(query, 10, threads));
            MS_CHECK_EQ(got.size(), 10u);
            for (size_t i = 0; i < got.size(); ++i) {
                // float32 unit vectors: a cosine is within ~1e-6 of the double one; neighbours whose
                // cosines differ by less may swap places, so compare the cosine at each rank.
                MS_CHECK_MSG(std::fabs(got[i].cosine - ref[i].first) < 1e-5,
                             "trial " << trial << " rank " << i << ": " << got[i].cosine << " vs " << ref[i].first);
                if (i) MS_CHECK(got[i - 1].cosine >= got[i].cosine);
            }
            MS_CHECK_EQ(got[0].id, ref[0].second);
        }
    }
    // Duplicates tie: the lower id comes first.
    const auto dup = ok(index.nearest(vs[10], 2, 2));
    MS_CHECK_EQ(dup[0].id, 110);
    MS_CHECK_EQ(dup[1].id, 120);
    MS_CHECK(!index.nearest(std::vector<float>(dim, 0.0f), 3));
    MS_CHECK(!index.nearest(std::vector<float>(dim + 1, 1.0f), 3));
    MS_CHECK(!index.add(1, std::vector<float>(dim, 0.0f)));
    MS_CHECK(ok(index.nearest(vs[0], 100000)).size() == size_t(n));
}

MS_TEST(embeddings_round_trip_and_are_searched_from_the_store) {
    Fixture f = make("embeddings");
    std::vector<ms::Embedding> es;
    std::mt19937 rng(9);
    std::normal_distribution<float> g;
    for (int i = 0; i < 40; ++i) {
        ms::Embedding e;
        e.sequence_id = f.chr1;
        e.begin = i * 1000;
        e.end = e.begin + 1000;
        e.vector.resize(32);
        for (float& x : e.vector) x = g(rng);
        e.dtype = i % 2 ? ms::EmbeddingDtype::f16 : ms::EmbeddingDtype::f32;
        es.push_back(e);
    }
    ms::Embedding read;
    read.kind = ms::ItemKind::read;
    read.item = "read/1";
    read.vector.assign(16, 1.0f);  // another kind, another dimension
    es.push_back(read);
    ok(f.store.write_embeddings(f.run, es));
    ok(f.store.write_embeddings(f.run, es));  // resumed: replaced, not duplicated
    MS_CHECK_EQ(ok(f.store.counts()).embeddings, 41);

    const auto index = ok(f.store.load_embedding_index(f.run, ms::ItemKind::window));
    MS_CHECK_EQ(index.size(), 40);
    MS_CHECK_EQ(index.dim(), 32);
    auto mixed = f.store.load_embedding_index(f.run);
    MS_CHECK(!mixed);
    MS_CHECK_MSG(contains(mixed.error().message, "32-d and 16-d vectors"), mixed.error().message);

    const auto top = ok(index.nearest(es[7].vector, 3));
    const auto stored = ok(f.store.read_embedding(top[0].id));
    MS_CHECK_EQ(stored.e.begin, 7000);
    MS_CHECK_MSG(top[0].cosine > 0.999f, top[0].cosine);  // f16 storage: cosine with itself ~1 - 1e-6
    MS_CHECK(stored.e.dtype == ms::EmbeddingDtype::f16);
    for (size_t j = 0; j < 32; ++j) MS_CHECK_EQ(stored.e.vector[j], ms::round_to_half(es[7].vector[j]));
    const auto f32 = ok(f.store.read_embedding(ok(index.nearest(es[8].vector, 1))[0].id));
    MS_CHECK(f32.e.vector == es[8].vector);
    const auto r = ok(f.store.read_embedding(
        ok(f.store.load_embedding_index(f.run, ms::ItemKind::read)).nearest(read.vector, 1)->at(0).id));
    MS_CHECK_EQ(r.e.item, std::string("read/1"));
    MS_CHECK_EQ(r.e.sequence_id, 0);
    MS_CHECK_EQ(r.e.begin, 0);
    MS_CHECK_EQ(r.e.end, 0);
}

// Windows of one read (`embed --reads --window`): each its own row, told apart by its coordinates
// on the read. They were stored with NULL coordinates, so each window replaced the one before and
// the read kept its last, possibly one-base, window (found in review). Unknown coordinates (-1)
// stay NULL and read back as -1.
MS_TEST(embeddings_of_windows_of_one_read_are_kept_apart) {
    Fixture f = make("read_windows");
    std::vector<ms::Embedding> es;
    for (int w = 0; w < 3; ++w) {
        ms::Embedding e;
        e.kind = ms::ItemKind::read;
        e.item = "r1";
        e.begin = w * 200;
        e.end = std::min<int64_t>(e.begin + 200, 450);
        e.vector.assign(8, float(w));
        es.push_back(e);
    }
    ms::Embedding whole;
    whole.kind = ms::ItemKind::read;
    whole.item = "old";
    whole.begin = whole.end = -1;
    whole.vector.assign(8, 9.0f);
    es.push_back(whole);
    ok(f.store.write_embeddings(f.run, es));
    ok(f.store.write_embeddings(f.run, es));  // resumed: replaced, not duplicated
    MS_CHECK_EQ(ok(f.store.counts()).embeddings, 4);
    for (int64_t id : ok(f.store.list_embedding_ids(f.run, ms::ItemKind::read))) {
        const auto e = ok(f.store.read_embedding(id)).e;
        if (e.item == "old") {
            MS_CHECK(e.begin == -1 && e.end == -1);
        } else {
            MS_CHECK_EQ(e.begin, int64_t(e.vector[0]) * 200);
            MS_CHECK_EQ(e.end, std::min<int64_t>(e.begin + 200, 450));
        }
    }
    es[0].begin = 300;  // reversed
    MS_CHECK(!f.store.write_embeddings(f.run, std::vector<ms::Embedding>{es[0]}));
}

MS_TEST(quantised_tracks_stay_within_their_documented_error) {
    for (const ms::TrackEncoding& e : {ms::TrackEncoding::quantized8(0, 1), ms::TrackEncoding::quantized16(-20, 5),
                                       ms::TrackEncoding::quantized8(-1, 3)}) {
        // Every step of a fine sweep over the range; float rounding in (v - lo) / step adds a few
        // ulps of the range to the half-step bound.
        const double bound = e.max_abs_error() + 4e-7 * (e.hi - e.lo);
        double worst = 0;
        for (int i = 0; i <= 100000; ++i) {
            const float v = e.lo + (e.hi - e.lo) * float(i) / 100000.0f;
            worst = std::max(worst, std::fabs(double(ms::round_trip(e, v)) - v));
        }
        MS_CHECK_MSG(worst <= bound, ms::describe(e) << ": error " << worst << " > " << bound);
        MS_CHECK_MSG(worst > 0.5 * e.max_abs_error(), ms::describe(e) << ": the sweep should reach the bound");
        MS_CHECK(std::isnan(ms::round_trip(e, std::numeric_limits<float>::quiet_NaN())));
        MS_CHECK_EQ(ms::round_trip(e, e.hi + 100), e.hi);  // clamped
        MS_CHECK_EQ(ms::round_trip(e, -INFINITY), e.lo);
    }
    MS_CHECK(!ms::validate(ms::TrackEncoding::quantized8(1, 1)));

    // Through the store: zoom 0 and the zooms hold the quantised values.
    Fixture f = make("quantised");
    const ms::TrackEncoding q8 = ms::TrackEncoding::quantized8(0, 1);
    const int64_t track = ok(f.store.create_track(f.run, "prob_A", q8));
    MS_CHECK_EQ(ok(f.store.create_track(f.run, "prob_A", q8)), track);
    auto clash = f.store.create_track(f.run, "prob_A", ms::TrackEncoding::float16());
    MS_CHECK(!clash);
    MS_CHECK_MSG(contains(clash.error().message, "is stored as q8[0,1], not f16"), clash.error().message);
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> u(0, 1);
    std::vector<float> v(100000);
    for (float& x : v) x = u(rng);
    v[5] = std::numeric_limits<float>::quiet_NaN();
    ok(f.store.write_track(f.run, "prob_A", f.chr1, 0, v.data(), int64_t(v.size())));
    ok(f.store.flush());
    const auto got = ok(f.store.read_values(track, f.chr1, 0, 100000));
    for (size_t i = 0; i < v.size(); ++i) {
        if (i == 5) {
            MS_CHECK(std::isnan(got[i]));
            continue;
        }
        MS_CHECK_MSG(std::fabs(got[i] - v[i]) <= q8.max_abs_error() + 1e-6, i << ": " << got[i] << " vs " << v[i]);
    }
    // A zoom-1 bin's min/max are stored values exactly; its mean is within half a step of theirs.
    const auto bins = ok(f.store.read_track(track, f.chr1, 0, 65536, 4096));
    for (int b : {0, 1, 1000, 4095}) {
        double sum = 0;
        int c = 0;
        float lo = INFINITY, hi = -INFINITY;
        for (int64_t i = bins[size_t(b)].begin; i < bins[size_t(b)].end; ++i) {
            if (std::isnan(got[size_t(i)])) continue;
            sum += got[size_t(i)];
            ++c;
            lo = std::min(lo, got[size_t(i)]);
            hi = std::max(hi, got[size_t(i)]);
        }
        MS_CHECK_EQ(bins[size_t(b)].min, lo);
        MS_CHECK_EQ(bins[size_t(b)].max, hi);
        MS_CHECK(std::fabs(bins[size_t(b)].mean - sum / c) <= q8.max_abs_error() + 1e-6);
    }
    const auto tracks = ok(f.store.list_tracks(f.run));
    MS_CHECK(tracks.size() == 1 && tracks[0].encoding == q8);
    MS_CHECK_EQ(ok(f.store.integrity_check()), std::string("ok"));
    const auto runs = ok(f.store.list_runs());
    MS_CHECK(runs[0].info.inputs.size() == 1 && runs[0].info.inputs[0] == (ms::RunInput{"genome.fa", "fasta", 1234}));
}

int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }
