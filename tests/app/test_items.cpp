// `embed` and `classify` end to end on fixture models: the stored vectors are the engine's pooled
// embeddings of each item run alone, windows cut as documented, classifier probabilities and
// labels from the model's head, reads (mates kept apart), and bad input refused before a run starts.
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "app/export_command.h"
#include "app/item_command.h"
#include "engine/cpu_backend.h"
#include "engine/heads.h"
#include "engine/model.h"
#include "engine/session.h"
#include "genomics/fasta.h"
#include "genomics/results_store.h"
#include "tests/common/harness.h"

using namespace ms;
namespace fs = std::filesystem;

namespace {

const fs::path kData = fs::path(MS_TEST_DATA_DIR);
const fs::path kFixture = kData / "fixtures" / "untied_bias_k3_s4" / "hf";

fs::path scratch() {
    const fs::path d = fs::current_path() / "items_tmp";
    fs::remove_all(d);
    fs::create_directories(d);
    fs::copy_file(kData / "fixtures" / "input.fa", d / "in.fa");
    return d;
}

// The fixture model with a random three-class head added: its config names the head, its
// safetensors file gains classifier.weight [3, d_model] and classifier.bias [3] after the others.
fs::path model_with_head(const fs::path& dir) {
    const fs::path out = dir / "with_head";
    fs::create_directories(out);
    nlohmann::json cfg = nlohmann::json::parse(std::ifstream(kFixture / "config.json"));
    cfg["mambascope_heads"] = {{{"name", "classifier"}, {"labels", {"phage", "plasmid", "chromosome"}}}};
    const int dm = cfg["hidden_size"];
    std::ofstream(out / "config.json") << cfg.dump(2);
    std::ifstream in(kFixture / "model.safetensors", std::ios::binary);
    std::vector<char> file((std::istreambuf_iterator<char>(in)), {});
    uint64_t hlen = 0;
    std::memcpy(&hlen, file.data(), 8);
    nlohmann::json header = nlohmann::json::parse(std::string(file.data() + 8, hlen));
    std::vector<char> data(file.begin() + 8 + int64_t(hlen), file.end());
    std::mt19937 rng(9);
    std::normal_distribution<float> nd(0, 1);
    auto add = [&](const std::string& name, std::vector<int64_t> shape, size_t n) {
        const size_t at = data.size();
        data.resize(at + n * 4);
        for (size_t i = 0; i < n; ++i) {
            const float v = nd(rng);
            std::memcpy(&data[at + i * 4], &v, 4);
        }
        header[name] = {{"dtype", "F32"}, {"shape", shape}, {"data_offsets", {at, data.size()}}};
    };
    add("classifier.weight", {3, dm}, size_t(3) * dm);
    add("classifier.bias", {3}, 3);
    const std::string h = header.dump();
    const uint64_t n = h.size();
    std::ofstream o(out / "model.safetensors", std::ios::binary);
    o.write(reinterpret_cast<const char*>(&n), 8);
    o.write(h.data(), std::streamsize(n));
    o.write(data.data(), std::streamsize(data.size()));
    return out;
}

// The pooled embedding of `bases` run alone.
std::vector<float> pooled(const Model& m, const std::string& bases) {
    auto cpu = make_cpu_backend(1);
    SessionOptions o;
    o.scores = false;
    o.pool_window = 0;
    auto s = Session::create(m, *cpu, o);
    auto out = run_sequence(**s, m, bases, o);
    if (!out) throw test::Failure{out.error().message};
    return out->embeddings;
}

ItemJobOptions base_options(const fs::path& dir, const fs::path& model) {
    ItemJobOptions o;
    o.model = model.string();
    o.fasta = (dir / "in.fa").string();
    o.db = (dir / "items.db").string();
    o.device = "cpu";
    o.quiet = true;
    return o;
}

// A FASTQ of `n` reads of 20–399 random bases, named r0, r1, … (a seeded mix of lengths).
fs::path mixed_reads(const fs::path& dir, int n) {
    const fs::path path = dir / "mixed.fq";
    std::mt19937 rng(3);
    std::ofstream fq(path);
    for (int i = 0; i < n; ++i) {
        std::string s(size_t(20 + rng() % 380), 'A');
        for (char& c : s) c = "ACGT"[rng() % 4];
        fq << "@r" << i << "\n" << s << "\n+\n" << std::string(s.size(), 'I') << "\n";
    }
    return path;
}

// Both databases hold one run of the same items in the same order: names, spans, labels, and
// vectors and probabilities within `tol` of each other (relative; 0: the same bits).
void check_same_items(const fs::path& a_db, const fs::path& b_db, size_t n, const std::string& what,
                      double tol = 1e-5) {
    auto a = ResultsStore::open(a_db.string(), ResultsStore::Mode::read_only);
    auto b = ResultsStore::open(b_db.string(), ResultsStore::Mode::read_only);
    MS_CHECK(a.ok() && b.ok());
    const int64_t ra = (*a->list_runs())[0].id, rb = (*b->list_runs())[0].id;
    const auto ids_a = *a->list_embedding_ids(ra), ids_b = *b->list_embedding_ids(rb);
    MS_CHECK_EQ(ids_a.size(), n);
    MS_CHECK_EQ(ids_b.size(), n);
    for (size_t i = 0; i < n; ++i) {
        const Embedding x = a->read_embedding(ids_a[i])->e, y = b->read_embedding(ids_b[i])->e;
        MS_CHECK_MSG(x.item == y.item && x.begin == y.begin && x.end == y.end,
                     what << ": " << x.item << " / " << y.item);
        MS_CHECK_MSG(test::rel_error(y.vector.data(), x.vector.data(), x.vector.size()) <= tol, what << ": " << x.item);
    }
    PredictionQuery q;
    q.limit = 100000;
    q.run_id = ra;
    const auto pa = *a->query_predictions(q);
    q.run_id = rb;
    const auto pb = *b->query_predictions(q);
    MS_CHECK_EQ(pa.size(), n);
    MS_CHECK_EQ(pb.size(), n);
    for (size_t i = 0; i < std::min(pa.size(), pb.size()); ++i) {
        MS_CHECK_MSG(pa[i].p.item == pb[i].p.item && pa[i].p.label == pb[i].p.label, what << ": " << pa[i].p.item);
        MS_CHECK_MSG(test::rel_error(pb[i].p.probs.data(), pa[i].p.probs.data(), pa[i].p.probs.size()) <= tol,
                     what << ": " << pa[i].p.item);
    }
}
}  // namespace

// Also with the windows run three side by side (as on a GPU): groups of 3, 3 and 1 across the two
// records, each window's vector as it runs alone, stored in input order.
MS_TEST(embed_windows_are_the_windows_run_alone) {
    for (int batch : {0, 3}) {
        const fs::path dir = scratch();
        ItemJobOptions o = base_options(dir, kFixture);
        o.window = 200;
        o.stride = 150;
        o.item_batch = batch;
        MS_CHECK_EQ(cmd_items(o, ItemJob::embed, "test"), 0);
        auto model = Model::load(o.model);
        auto fa = FastaFile::open(o.fasta);
        auto db = ResultsStore::open(o.db, ResultsStore::Mode::read_only);
        MS_CHECK(model.ok() && fa.ok() && db.ok());
        // rec1 (700 bp): [0,200) [150,350) [300,500) [450,650) and the last moved back to full length,
        // [500,700) (clipped, it was [600,700)); rec2 (257 bp): [0,200) [57,257).
        const std::vector<std::tuple<std::string, int64_t, int64_t>> want = {
            {"rec1", 0, 200},   {"rec1", 150, 350}, {"rec1", 300, 500}, {"rec1", 450, 650},
            {"rec1", 500, 700}, {"rec2", 0, 200},   {"rec2", 57, 257}};
        for (size_t i = 0; i < want.size(); ++i) {
            auto e = db->read_embedding(int64_t(i) + 1);
            MS_CHECK_MSG(e.ok(), e.error().message);
            const auto& [name, b, en] = want[i];
            MS_CHECK_EQ(e->e.item, name);
            MS_CHECK_EQ(e->e.begin, b);
            MS_CHECK_EQ(e->e.end, en);
            MS_CHECK(e->e.kind == ItemKind::window);
            auto bases = fa->fetch(name, b, en);
            const std::vector<float> ref = pooled(*model, *bases);
            MS_CHECK_MSG(test::rel_error(e->e.vector.data(), ref.data(), ref.size()) < 1e-6,
                         name << " " << b << ", batch " << batch);
        }
        MS_CHECK(!db->read_embedding(int64_t(want.size()) + 1).ok());
    }
}

MS_TEST(classify_records_with_the_model_head) {
    const fs::path dir = scratch();
    const fs::path model_dir = model_with_head(dir);
    ItemJobOptions o = base_options(dir, model_dir);
    o.per_record = true;
    MS_CHECK_EQ(cmd_items(o, ItemJob::classify, "test"), 0);
    auto model = Model::load(o.model);
    MS_CHECK_MSG(model.ok(), model.error().message);
    auto fa = FastaFile::open(o.fasta);
    auto db = ResultsStore::open(o.db, ResultsStore::Mode::read_only);
    auto runs = db->list_runs();
    MS_CHECK(runs.ok() && runs->size() == 1);
    auto classes = db->prediction_classes((*runs)[0].id);
    MS_CHECK(classes.ok() && *classes == (std::vector<std::string>{"phage", "plasmid", "chromosome"}));
    PredictionQuery q;
    q.run_id = (*runs)[0].id;
    auto preds = db->query_predictions(q);
    MS_CHECK(preds.ok() && preds->size() == 2);
    for (const StoredPrediction& sp : *preds) {
        auto bases = fa->fetch_all(sp.p.item);
        const std::vector<float> emb = pooled(*model, *bases);
        const std::vector<float> p = classify(model->weights.classifiers[0], emb.data(), model->config.d_model);
        MS_CHECK(sp.p.kind == ItemKind::sequence);
        MS_CHECK_EQ(sp.p.end, int64_t(bases->size()));
        for (size_t k = 0; k < 3; ++k) MS_CHECK_MSG(std::abs(sp.p.probs[k] - p[k]) < 1e-6, sp.p.item << " class " << k);
        const size_t best = size_t(std::max_element(p.begin(), p.end()) - p.begin());
        MS_CHECK_EQ(sp.p.label, (*classes)[best]);
        MS_CHECK(sp.p.score && std::abs(*sp.p.score - p[best]) < 1e-6);
    }
}

// A head that says the shortest item it was trained on (min_length): shorter items are classified
// and counted in a warning (reads under the bundled head's 500 bases were classified without a
// word; found in review). rec1 is 700 bases, rec2 257.
MS_TEST(items_shorter_than_the_head_was_trained_on_are_said) {
    const fs::path dir = scratch();
    const fs::path model_dir = model_with_head(dir);
    nlohmann::json cfg = nlohmann::json::parse(std::ifstream(model_dir / "config.json"));
    cfg["mambascope_heads"][0]["min_length"] = 300;
    std::ofstream(model_dir / "config.json") << cfg.dump(2);
    ItemJobOptions o = base_options(dir, model_dir);
    o.per_record = true;
    auto r = run_items(o, ItemJob::classify, "test", JobControl{});
    MS_CHECK_MSG(r.ok() && r->summary.find("; warning: 1 item shorter than the 300 bases head 'classifier' was "
                                           "trained on at the least: its class is less reliable") != std::string::npos,
                 (r.ok() ? r->summary : r.error().message));
    cfg["mambascope_heads"][0]["min_length"] = 0;  // not a length: refused, naming the key
    std::ofstream(model_dir / "config.json") << cfg.dump(2);
    o.db = (dir / "other.db").string();
    r = run_items(o, ItemJob::classify, "test", JobControl{});
    MS_CHECK_MSG(!r.ok() && r.error().message.find("'mambascope_heads[0].min_length' is 0; expected a whole number") !=
                                std::string::npos,
                 (r.ok() ? r->summary : r.error().message));
}

// `classify --embeddings`: one pass storing what `embed` and `classify` store in two, the same
// values bit for bit (the same forward pass per item, the head applied to the same pooled vector).
MS_TEST(classify_with_embeddings_equals_separate_runs) {
    const fs::path dir = scratch();
    const fs::path model_dir = model_with_head(dir);
    ItemJobOptions o = base_options(dir, model_dir);
    o.window = 200;
    o.stride = 150;
    o.db = (dir / "embed.db").string();
    MS_CHECK_EQ(cmd_items(o, ItemJob::embed, "embed"), 0);
    o.db = (dir / "classify.db").string();
    MS_CHECK_EQ(cmd_items(o, ItemJob::classify, "classify"), 0);
    o.db = (dir / "both.db").string();
    o.with_embeddings = true;
    MS_CHECK_EQ(cmd_items(o, ItemJob::classify, "classify --embeddings"), 0);
    auto e = ResultsStore::open((dir / "embed.db").string(), ResultsStore::Mode::read_only);
    auto c = ResultsStore::open((dir / "classify.db").string(), ResultsStore::Mode::read_only);
    auto b = ResultsStore::open((dir / "both.db").string(), ResultsStore::Mode::read_only);
    MS_CHECK(e.ok() && c.ok() && b.ok());
    const int64_t run = (*b->list_runs())[0].id;
    MS_CHECK(nlohmann::json::parse((*b->list_runs())[0].info.params_json).value("embeddings", false));
    const auto ids_e = *e->list_embedding_ids((*e->list_runs())[0].id), ids_b = *b->list_embedding_ids(run);
    MS_CHECK_EQ(ids_b.size(), size_t(7));
    MS_CHECK_EQ(ids_e.size(), ids_b.size());
    for (size_t i = 0; i < ids_e.size(); ++i) {
        const Embedding x = e->read_embedding(ids_e[i])->e, y = b->read_embedding(ids_b[i])->e;
        MS_CHECK(x.kind == y.kind && x.item == y.item && x.begin == y.begin && x.end == y.end);
        MS_CHECK_EQ(x.vector.size(), y.vector.size());
        MS_CHECK_MSG(std::memcmp(x.vector.data(), y.vector.data(), x.vector.size() * 4) == 0, x.item << " " << x.begin);
    }
    PredictionQuery q;
    q.run_id = (*c->list_runs())[0].id;
    q.limit = 1000;
    const auto pc = *c->query_predictions(q);
    q.run_id = run;
    const auto pb = *b->query_predictions(q);
    MS_CHECK_EQ(pb.size(), size_t(7));
    MS_CHECK_EQ(pc.size(), pb.size());
    for (size_t i = 0; i < pc.size(); ++i) {
        const Prediction &x = pc[i].p, &y = pb[i].p;
        MS_CHECK(x.item == y.item && x.begin == y.begin && x.end == y.end && x.label == y.label && x.score == y.score);
        MS_CHECK(x.probs == y.probs);
    }
    MS_CHECK(*b->prediction_classes(run) == *c->prediction_classes((*c->list_runs())[0].id));
}

MS_TEST(embed_reads_keeps_mates_apart) {
    const fs::path dir = scratch();
    ItemJobOptions o = base_options(dir, kFixture);
    o.fasta.clear();
    o.reads = (kData / "genomics" / "freebayes_tiny" / "NA12878.chr22.tiny.bam").string();
    MS_CHECK_EQ(cmd_items(o, ItemJob::embed, "test"), 0);
    auto db = ResultsStore::open(o.db, ResultsStore::Mode::read_only);
    auto counts = db->counts();
    // Every primary record of the file (samtools view -c -F 0x900: 3327), none replaced by its mate.
    MS_CHECK_EQ(counts->embeddings, int64_t(3327));
}

// Windows of reads: every window stored, with its span on the read. Their embeddings had no
// coordinates, so each replaced the one before and a read kept its last (found in review).
MS_TEST(embed_reads_in_windows_keeps_every_window) {
    const fs::path dir = scratch();
    ItemJobOptions o = base_options(dir, kFixture);
    o.fasta.clear();
    o.reads = (dir / "long.fq").string();
    std::ofstream(o.reads) << "@r1\n"
                           << std::string(110, 'A') + std::string(110, 'C') << "\n+\n"
                           << std::string(220, 'I') << "\n@r2\nACGTACGTAC\n+\nIIIIIIIIII\n";
    o.window = 100;
    MS_CHECK_EQ(cmd_items(o, ItemJob::embed, "test"), 0);
    auto db = ResultsStore::open(o.db, ResultsStore::Mode::read_only);
    std::set<std::string> spans;
    const std::vector<int64_t> ids = *db->list_embedding_ids((*db->list_runs())[0].id);
    for (int64_t id : ids) {
        const auto e = db->read_embedding(id)->e;
        spans.insert(cat(e.item, ":", e.begin, "-", e.end));
    }
    // r1's last window moved back to 100 bases; r2, shorter than a window, whole.
    MS_CHECK(spans == (std::set<std::string>{"r1:0-100", "r1:100-200", "r1:120-220", "r2:0-10"}));
}

// Windows of only N (an assembly gap) in a FASTA: skipped and counted like such reads. They got a
// confident class each, the head's guess on nothing (found in review).
MS_TEST(gap_windows_of_a_fasta_are_skipped_and_counted) {
    const fs::path dir = scratch();
    ItemJobOptions o = base_options(dir, model_with_head(dir));
    o.fasta = (dir / "gap.fa").string();
    std::ofstream(o.fasta) << ">scaf\n"
                           << std::string(50, 'A') + std::string(50, 'C') << std::string(200, 'N')
                           << std::string(100, 'G') << "\n>gap\n"
                           << std::string(80, 'N') << "\n";
    o.window = 100;
    auto outcome = run_items(o, ItemJob::classify, "test", JobControl{});
    MS_CHECK_MSG(outcome.ok(), outcome.error().message);
    MS_CHECK_MSG(
        outcome->summary.find("3 windows or records without A, C, G or T (only N) skipped") != std::string::npos,
        outcome->summary);
    auto db = ResultsStore::open(o.db, ResultsStore::Mode::read_only);
    PredictionQuery q;
    q.run_id = (*db->list_runs())[0].id;
    const auto preds = *db->query_predictions(q);
    MS_CHECK_EQ(preds.size(), size_t(2));  // scaf [0, 100) and [300, 400)
}

MS_TEST(reads_without_bases_are_skipped) {
    // An empty FASTQ read between two others: it crashed the job (nothing to pool) and left the
    // run marked running (found in review).
    const fs::path dir = scratch();
    ItemJobOptions o = base_options(dir, model_with_head(dir));
    o.fasta.clear();
    o.reads = (dir / "reads.fq").string();
    std::ofstream(o.reads) << "@r1\nACGTACGTAC\n+\nIIIIIIIIII\n@empty\n\n+\n\n@r2\nGGGTTTAAAC\n+\nIIIIIIIIII\n";
    MS_CHECK_EQ(cmd_items(o, ItemJob::classify, "test"), 0);
    auto db = ResultsStore::open(o.db, ResultsStore::Mode::read_only);
    const auto runs = *db->list_runs();
    MS_CHECK_EQ(runs.size(), size_t(1));
    MS_CHECK(runs[0].status == RunStatus::finished);
    PredictionQuery q;
    q.run_id = runs[0].id;
    const auto preds = *db->query_predictions(q);
    MS_CHECK_EQ(preds.size(), size_t(2));
    MS_CHECK_EQ(preds[0].p.item + " " + preds[1].p.item, std::string("r1 r2"));
}

// Reads of one name (found in review): an interleaved Illumina FASTQ (mates share the name, the
// CASAVA description tells them apart) stored only the second mates; a repeated name right after
// its first is kept as NAME#2, and so is one further apart (it was stored over the first, with a
// count in the summary); a read of only N got a confident species call and is skipped now.
MS_TEST(reads_of_one_name_are_all_kept_or_said) {
    const fs::path dir = scratch();
    ItemJobOptions o = base_options(dir, model_with_head(dir));
    o.fasta.clear();
    o.reads = (dir / "named.fq").string();
    const std::string q10 = "IIIIIIIIII";
    std::ofstream(o.reads) << "@p 1:N:0:ACGT\nACGTACGTAC\n+\n"
                           << q10 << "\n@p 2:N:0:ACGT\nGGGTTTAAAC\n+\n"
                           << q10 << "\n@d\nACGTTTTAAC\n+\n"
                           << q10 << "\n@d\nACGTTTTAAG\n+\n"
                           << q10 << "\n@far\nCCCCAAAAGG\n+\n"
                           << q10 << "\n@nn\nNNNNNNNNNN\n+\n"
                           << q10 << "\n@x\nTTTTGGGGAA\n+\n"
                           << q10 << "\n@far\nCCCCAAAAGT\n+\n"
                           << q10 << "\n@d#2\nTTTTGGGGAC\n+\n"   // a real read named like a renamed one
                           << q10 << "\n";
    auto outcome = run_items(o, ItemJob::classify, "test", JobControl{});
    MS_CHECK_MSG(outcome.ok(), outcome.error().message);
    const std::string& summary = outcome->summary;
    MS_CHECK_MSG(summary.find("1 read without A, C, G or T skipped") != std::string::npos, summary);
    MS_CHECK_MSG(summary.find("3 reads named as an earlier read stored as NAME#2") != std::string::npos, summary);
    MS_CHECK_MSG(summary.find("items named as an earlier one") == std::string::npos, summary);
    MS_CHECK_MSG(outcome->result.find("(8 predictions)") != std::string::npos, outcome->result);
    auto db = ResultsStore::open(o.db, ResultsStore::Mode::read_only);
    PredictionQuery q;
    q.run_id = (*db->list_runs())[0].id;
    q.limit = 100;
    const auto preds = *db->query_predictions(q);
    std::set<std::string> names;
    for (const auto& p : preds) names.insert(p.p.item);
    MS_CHECK(names == (std::set<std::string>{"p/1", "p/2", "d", "d#2", "far", "far#2", "x", "d#2#2"}));
}

// Duplicate- and QC-fail-flagged records were dropped without a word (found in review): counted in
// the summary now, and kept with --keep-duplicates / --keep-qc-fail.
MS_TEST(flagged_reads_are_counted_or_kept) {
    const fs::path dir = scratch();
    ItemJobOptions o = base_options(dir, model_with_head(dir));
    o.fasta.clear();
    o.reads = (dir / "flags.sam").string();
    std::ofstream(o.reads) << "@HD\tVN:1.6\n"
                           << "plain\t4\t*\t0\t0\t*\t*\t0\t0\tACGTACGTACGT\t*\n"
                           << "dup\t1028\t*\t0\t0\t*\t*\t0\t0\tGGGTTTAAACCC\t*\n"
                           << "qcfail\t516\t*\t0\t0\t*\t*\t0\t0\tTTTTGGGGAACC\t*\n";
    auto outcome = run_items(o, ItemJob::classify, "test", JobControl{});
    MS_CHECK_MSG(outcome.ok(), outcome.error().message);
    MS_CHECK_MSG(outcome->summary.find("1 item,") != std::string::npos &&
                     outcome->summary.find("2 records flagged duplicate or QC-fail left out") != std::string::npos,
                 outcome->summary);
    o.keep_duplicates = o.keep_qc_fail = true;
    o.db = (dir / "kept.db").string();
    outcome = run_items(o, ItemJob::classify, "test", JobControl{});
    MS_CHECK_MSG(outcome.ok(), outcome.error().message);
    MS_CHECK_MSG(
        outcome->summary.find("3 items") != std::string::npos && outcome->summary.find("flagged") == std::string::npos,
        outcome->summary);
}

// Found in review: a FASTQ was known only by a lower-case extension (READS.FQ was refused as "not
// SAM, BAM or CRAM"), and a classify run that found no reads could not be exported.
MS_TEST(upper_case_fastq_and_an_empty_run_export) {
    const fs::path dir = scratch();
    ItemJobOptions o = base_options(dir, model_with_head(dir));
    o.fasta.clear();
    o.reads = (dir / "READS.FQ").string();
    std::ofstream(o.reads) << "@r1\nACGTACGTAC\n+\nIIIIIIIIII\n";
    auto outcome = run_items(o, ItemJob::classify, "test", JobControl{});
    MS_CHECK_MSG(outcome.ok(), outcome.error().message);
    MS_CHECK_MSG(outcome->summary.find("1 item,") != std::string::npos, outcome->summary);
    // Only a duplicate-flagged read: a finished run with nothing in it, exported as its header.
    o.reads = (dir / "dup_only.sam").string();
    o.db = (dir / "empty.db").string();
    std::ofstream(o.reads) << "@HD\tVN:1.6\ndup\t1028\t*\t0\t0\t*\t*\t0\t0\tGGGTTTAAACCC\t*\n";
    outcome = run_items(o, ItemJob::classify, "test", JobControl{});
    MS_CHECK_MSG(outcome.ok(), outcome.error().message);
    ExportOptions e;
    e.db = o.db;
    e.out = (dir / "empty.tsv").string();
    e.predictions = true;
    auto wrote = run_export(e);
    MS_CHECK_MSG(wrote.ok(), wrote.error().message);
    std::ifstream tsv(e.out);
    std::string header, more;
    MS_CHECK(std::getline(tsv, header) && header.rfind("sequence\tstart\tend\tlabel\tscore", 0) == 0);
    MS_CHECK(!std::getline(tsv, more));
}

MS_TEST(bad_input_is_refused_before_a_run_starts) {
    const fs::path dir = scratch();
    ItemJobOptions o = base_options(dir, kFixture);
    MS_CHECK(cmd_items(o, ItemJob::classify, "test") != 0);   // the fixture has no classifier head
    o.fasta.clear();
    o.reads = (kData / "genomics" / "freebayes_tiny" / "NA12878.chr22.tiny.cram").string();   // no --reference
    MS_CHECK(cmd_items(o, ItemJob::embed, "test") != 0);
    o.reads = (dir / "missing.bam").string();
    MS_CHECK(cmd_items(o, ItemJob::embed, "test") != 0);
    // A FASTA given as reads is named as such (it read "not SAM, BAM or CRAM").
    o.reads = (dir / "in.fa").string();
    auto fasta = run_items(o, ItemJob::embed, "test", JobControl{});
    MS_CHECK(!fasta.ok() && fasta.error().message.find("is FASTA: give it with --fasta") != std::string::npos);
    MS_CHECK(!fs::exists(dir / "items.db"));
}

// A FASTQ whose name says nothing (reads.txt) is read by its content, as `info` reads it (found in
// review: refused as "not SAM, BAM or CRAM").
MS_TEST(fastq_is_known_by_its_content) {
    const fs::path dir = scratch();
    ItemJobOptions o = base_options(dir, kFixture);
    o.fasta.clear();
    o.reads = (dir / "reads.txt").string();
    std::ofstream(o.reads) << "@r1\nACGTACGTAC\n+\nIIIIIIIIII\n@r2\nGGGTTTAAAC\n+\nIIIIIIIIII\n";
    auto outcome = run_items(o, ItemJob::embed, "test", JobControl{});
    MS_CHECK_MSG(outcome.ok(), outcome.error().message);
    MS_CHECK_MSG(outcome.ok() && outcome->result.find("(2 embeddings)") != std::string::npos,
                 (outcome.ok() ? outcome->result : std::string()));
}

// Options that would change nothing are refused, not ignored: BAM/CRAM's on a FASTQ, --per-record
// on reads, --reference without reads.
MS_TEST(options_that_change_nothing_are_refused) {
    const fs::path dir = scratch();
    ItemJobOptions o = base_options(dir, kFixture);
    o.fasta.clear();
    o.reads = (dir / "reads.fq").string();
    std::ofstream(o.reads) << "@r1\nACGTACGTAC\n+\nIIIIIIIIII\n";
    auto refused = [&](const ItemJobOptions& x, const std::string& why) {
        auto r = run_items(x, ItemJob::embed, "test", JobControl{});
        MS_CHECK_MSG(!r.ok() && r.error().message.find(why) != std::string::npos,
                     (r.ok() ? "accepted" : r.error().message));
    };
    ItemJobOptions x = o;
    x.keep_duplicates = true;
    refused(x, "is FASTQ, which has no reference or flags: --keep-duplicates applies to BAM/CRAM reads");
    x = o;
    x.keep_qc_fail = true;
    refused(x, "--keep-qc-fail applies to BAM/CRAM reads");
    x = o;
    x.reference = (dir / "in.fa").string();
    refused(x, "--reference applies to BAM/CRAM reads");
    x = o;
    x.per_record = true;
    refused(x, "--per-record applies to --fasta");
    x = base_options(dir, kFixture);
    x.reference = (dir / "in.fa").string();
    refused(x, "--reference is the FASTA a CRAM given as --reads was made against");
    MS_CHECK(!fs::exists(dir / "items.db"));
    MS_CHECK(run_items(o, ItemJob::embed, "test", JobControl{}).ok());  // the same reads without them
}

// --resume compares the input by content, as `score` does its genome: a FASTA rewritten in place
// (same path, same size) between a run and its resume was continued, one run holding the items of
// two inputs (found in review). With the content back, the run resumes.
MS_TEST(resume_refuses_an_input_changed_in_place) {
    const fs::path dir = scratch();
    ItemJobOptions o = base_options(dir, kFixture);
    o.window = 200;
    MS_CHECK_EQ(cmd_items(o, ItemJob::embed, "test"), 0);
    {
        auto db = ResultsStore::open(o.db);
        MS_CHECK(db.ok() && db->finish_run(1, RunStatus::interrupted).ok());
    }
    std::string text;
    {
        std::ifstream in(o.fasta);
        text.assign(std::istreambuf_iterator<char>(in), {});
    }
    std::string edited = text;
    const size_t base = edited.find('\n') + 5;  // a base of the first record
    edited[base] = edited[base] == 'A' ? 'C' : 'A';
    std::ofstream(o.fasta, std::ios::trunc | std::ios::binary) << edited;
    o.resume = true;
    auto refused = run_items(o, ItemJob::embed, "test", JobControl{});
    MS_CHECK_MSG(!refused.ok() && refused.error().message.find("input_sha256: SHA-256 ") != std::string::npos &&
                     refused.error().message.find("(the file's content changed)") != std::string::npos,
                 (refused.ok() ? refused->result : refused.error().message));
    std::ofstream(o.fasta, std::ios::trunc | std::ios::binary) << text;
    auto resumed = run_items(o, ItemJob::embed, "test", JobControl{});
    MS_CHECK_MSG(resumed.ok() && resumed->run_id == 1, (resumed.ok() ? resumed->result : resumed.error().message));
}

// Reads of many lengths run side by side in batches of near lengths (a window of the input sorted
// by length), so few positions run padding; each read's class and embedding are what it gets run
// alone, and the store lists them in the file's order (which --resume relies on). With chunks of
// 150 the reads longer than a chunk run alone between the batches. Taken in the file's order, the
// 60 reads ran as 22 batches of 17,146 positions for their 12,254 bases; sorted, 16 of 12,928.
MS_TEST(reads_of_many_lengths_run_side_by_side_as_alone) {
    const fs::path dir = scratch();
    ItemJobOptions o = base_options(dir, model_with_head(dir));
    o.fasta.clear();
    o.reads = mixed_reads(dir, 60).string();
    o.with_embeddings = true;
    ::setenv("MAMBASCOPE_STAGE_TIMES", "1", 1);
    for (int chunk : {1000, 150}) {
        o.chunk = chunk;
        o.item_batch = 1;
        o.db = (dir / cat("alone_", chunk, ".db")).string();
        MS_CHECK_EQ(cmd_items(o, ItemJob::classify, "alone"), 0);
        o.item_batch = 8;
        o.db = (dir / cat("side_", chunk, ".db")).string();
        std::string line;
        JobControl control;
        control.on_note = [&](const std::string& n) {
            if (n.find(" items in ") != std::string::npos) line = n.substr(n.rfind("; ") + 2);
        };
        auto outcome = run_items(o, ItemJob::classify, "side by side", control);
        MS_CHECK_MSG(outcome.ok(), outcome.error().message);
        long items = 0, batches = 0, bases = 0, positions = 0;
        MS_CHECK_MSG(std::sscanf(line.c_str(), "%ld items in %ld batches, %ld bases in %ld positions", &items, &batches,
                                 &bases, &positions) == 4,
                     "note: '" << line << "'");
        MS_CHECK_EQ(items, 60L);
        MS_CHECK_MSG(positions <= bases + bases / 10, chunk << ": " << line);
        MS_CHECK_MSG(batches < items, chunk << ": " << line);
        check_same_items(dir / cat("alone_", chunk, ".db"), o.db, 60, cat("chunk ", chunk));
        auto db = ResultsStore::open(o.db, ResultsStore::Mode::read_only);
        const auto ids = *db->list_embedding_ids((*db->list_runs())[0].id);
        for (size_t i = 0; i < ids.size(); ++i) MS_CHECK_EQ(db->read_embedding(ids[i])->e.item, cat("r", i));
    }
    ::unsetenv("MAMBASCOPE_STAGE_TIMES");
}

// Side by side and stopped part-way (Ctrl-C), the run holds a prefix of the reads in the file's
// order, so --resume skips exactly those and the run ends as one that was never stopped, to the
// bit (a window partly stored runs again whole: test_score_resume's embed_resume_after_sigkill).
MS_TEST(reads_side_by_side_resume_where_they_stopped) {
    const fs::path dir = scratch();
    ItemJobOptions o = base_options(dir, model_with_head(dir));
    o.fasta.clear();
    o.reads = mixed_reads(dir, 60).string();
    o.with_embeddings = true;
    o.chunk = 150;  // windows of 16 × 150 positions: about 11 reads each
    o.item_batch = 8;
    o.db = (dir / "whole.db").string();
    MS_CHECK_EQ(cmd_items(o, ItemJob::classify, "whole"), 0);
    o.db = (dir / "stopped.db").string();
    std::atomic<bool> stop{false};
    JobControl control;
    control.cancel = &stop;
    control.on_progress = [&](const JobProgress& p) {
        if (p.done >= 20) stop = true;
    };
    auto stopped = run_items(o, ItemJob::classify, "stopped", control);
    MS_CHECK(stopped.ok() && stopped->status == RunStatus::interrupted);
    {
        auto db = ResultsStore::open(o.db, ResultsStore::Mode::read_only);
        const int64_t kept = *db->count_embeddings(1);
        MS_CHECK_MSG(kept >= 20 && kept < 60, kept);
        const auto ids = *db->list_embedding_ids(1);
        for (size_t i = 0; i < ids.size(); ++i) MS_CHECK_EQ(db->read_embedding(ids[i])->e.item, cat("r", i));
    }
    o.chunk = 0;  // not given: the run's own 150 (job_chunk), not the CPU's default, which the resume refused
    {             // a new run in a copy of the database names the stranded one, which --resume would continue
        const fs::path copy = dir / "copy.db";
        fs::copy_file(o.db, copy);
        ItemJobOptions fresh = o;
        fresh.db = copy.string();
        bool named = false;
        JobControl noted;
        noted.on_note = [&](const std::string& n) {
            named |= n.find("--resume would have continued") != std::string::npos;
        };
        std::atomic<bool> at_once{true};
        noted.cancel = &at_once;
        (void)run_items(fresh, ItemJob::classify, "fresh", noted);
        MS_CHECK(named);
    }
    o.resume = true;
    auto resumed = run_items(o, ItemJob::classify, "resumed", JobControl{});
    MS_CHECK_MSG(resumed.ok() && resumed->status == RunStatus::finished,
                 (resumed.ok() ? resumed->summary : resumed.error().message));
    MS_CHECK_EQ(resumed->run_id, int64_t(1));
    check_same_items(dir / "whole.db", o.db, 60, "resumed", 0.0);
}

// Without --chunk the CPU runs chunks of 2,016 (job_chunk), and the run records it.
MS_TEST(the_cpu_runs_its_own_chunk_unless_told) {
    const fs::path dir = scratch();
    ItemJobOptions o = base_options(dir, kFixture);
    o.fasta.clear();
    o.reads = mixed_reads(dir, 3).string();
    auto chunk_of = [&](int64_t run) {
        auto db = ResultsStore::open(o.db, ResultsStore::Mode::read_only);
        return nlohmann::json::parse((*db->list_runs())[size_t(run - 1)].info.params_json).value("chunk", 0);
    };
    MS_CHECK_EQ(cmd_items(o, ItemJob::embed, "auto"), 0);
    MS_CHECK_EQ(chunk_of(1), kCpuChunk);
    o.chunk = 300;
    MS_CHECK_EQ(cmd_items(o, ItemJob::embed, "given"), 0);
    MS_CHECK_EQ(chunk_of(2), 300);
}

int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }
