// Conformance with Hugging Face transformers: for every fixture model (tools/fixtures/
// make_fixtures.py; tied/untied, biases on/off, odd widths, conv 3/4, d_state 4/8/16, stored as
// F32/BF16/F16, sharded) and both checkpoint layouts, our logits and final hidden states match the
// reference at several chunk sizes, and both layouts give the same output.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/npy.h"
#include "engine/cli/engine_commands.h"
#include "engine/cpu_backend.h"
#include "engine/session.h"
#include "tests/common/harness.h"

using namespace ms;
namespace fs = std::filesystem;

namespace {

const fs::path kFixtures = fs::path(MS_TEST_DATA_DIR) / "fixtures";

nlohmann::json manifest() {
    std::ifstream in(kFixtures / "manifest.json");
    if (!in) throw test::Failure{"tests/data/fixtures/manifest.json is missing: run tools/fixtures/make_fixtures.py on the GPU machine"};
    nlohmann::json j = nlohmann::json::parse(in);
    if (j.value("format", "") != "mambascope-fixtures" || j.value("version", 0) != 1)
        throw test::Failure{"fixtures are not mambascope-fixtures version 1: regenerate them with tools/fixtures/make_fixtures.py"};
    return j;
}

NpyArray load(const fs::path& p) {
    auto a = read_npy(p.string());
    if (!a) throw test::Failure{a.error().message};
    return std::move(*a);
}

std::string record(const std::string& name) {
    auto r = read_plain_fasta_record((kFixtures / "input.fa").string(), name);
    if (!r) throw test::Failure{r.error().message};
    return r->sequence;
}

}  // namespace

MS_TEST(tokenizer_matches_fixture_tokens) {
    const nlohmann::json m = manifest();
    const Tokenizer tok = Tokenizer::default_dna();
    for (const auto& [name, length] : m["records"].items()) {
        const std::string seq = record(name);
        MS_CHECK_EQ(int64_t(seq.size()), length.get<int64_t>());
        std::vector<int32_t> ids;
        tok.encode(seq, ids);
        const NpyArray ref = load(kFixtures / "tokens" / (name + ".npy"));
        MS_CHECK_EQ(ref.data.size(), ids.size());
        for (size_t i = 0; i < ids.size(); ++i) MS_CHECK_MSG(float(ids[i]) == ref.data[i], name << " position " << i);
    }
}

MS_TEST(logits_and_hidden_match_transformers) {
    const nlohmann::json m = manifest();
    auto backend = make_cpu_backend(0);
    int checked = 0, expected = 0;
    double worst = 0;
    for (const auto& entry : m["models"]) {
        const std::string name = entry["name"];
        std::vector<float> first_layout_logits;
        expected += int(entry["layouts"].size() * m["records"].size()) * 4;
        for (const std::string layout : entry["layouts"]) {
            auto model = Model::load((kFixtures / name / layout).string());
            MS_CHECK_MSG(model.ok(), name << "/" << layout << ": " << model.error().message);
            for (const auto& [rec, length] : m["records"].items()) {
                const std::string seq = record(rec);
                const NpyArray ref_logits = load(kFixtures / name / "expected" / (rec + ".logits.npy"));
                const NpyArray ref_hidden = load(kFixtures / name / "expected" / (rec + ".hidden.npy"));
                for (int chunk : {1, 7, 64, 4096}) {
                    SessionOptions o;
                    o.chunk = chunk;
                    o.logits = o.hidden = true;
                    o.scores = false;
                    auto session = Session::create(*model, *backend, o);
                    MS_CHECK(session.ok());
                    auto out = run_sequence(**session, *model, seq, o);
                    MS_CHECK_MSG(out.ok(), out.error().message);
                    MS_CHECK_EQ(out->logits.size(), ref_logits.data.size());
                    MS_CHECK_EQ(out->hidden.size(), ref_hidden.data.size());
                    // The reference ran in float64; float32 through a few layers lands near 1e-6.
                    const double el = test::rel_error(out->logits.data(), ref_logits.data.data(), out->logits.size());
                    const double eh = test::rel_error(out->hidden.data(), ref_hidden.data.data(), out->hidden.size());
                    MS_CHECK_MSG(el <= 1e-4 && eh <= 1e-4, name << "/" << layout << " " << rec << " chunk " << chunk
                                                                << ": logits rel error " << el << ", hidden " << eh);
                    worst = std::max({worst, el, eh});
                    ++checked;
                    if (chunk == 4096 && rec == "rec1") {
                        if (first_layout_logits.empty()) {
                            first_layout_logits = out->logits;
                        } else {
                            const double ed = test::rel_error(out->logits.data(), first_layout_logits.data(), out->logits.size());
                            MS_CHECK_MSG(ed < 1e-6, name << ": layouts differ by " << ed);
                        }
                    }
                }
            }
        }
    }
    std::printf("worst relative error over %d comparisons: %.3g\n", checked, worst);
    MS_CHECK_EQ(checked, expected);   // every model, layout, record and chunk size
    MS_CHECK(m["models"].size() >= 5);
}

MS_TEST(forward_command_writes_reference_arrays) {
    const nlohmann::json m = manifest();
    const std::string name = m["models"][0]["name"];
    ForwardOptions o;
    o.model = (kFixtures / name / "hf").string();
    o.fasta = (kFixtures / "input.fa").string();
    o.record = "rec2";
    o.logits = std::string(MS_TEST_BINARY_DIR) + "/conf_logits.npy";
    o.hidden = std::string(MS_TEST_BINARY_DIR) + "/conf_hidden.npy";
    o.chunk = 100;
    MS_CHECK_EQ(cmd_forward(o, read_plain_fasta_record), 0);
    const NpyArray got = load(o.logits), ref = load(kFixtures / name / "expected" / "rec2.logits.npy");
    MS_CHECK(got.shape == ref.shape);
    MS_CHECK(test::rel_error(got.data.data(), ref.data.data(), ref.data.size()) <= 1e-4);
    const NpyArray hid = load(o.hidden), href = load(kFixtures / name / "expected" / "rec2.hidden.npy");
    MS_CHECK(hid.shape == href.shape);
    MS_CHECK(test::rel_error(hid.data.data(), href.data.data(), href.data.size()) <= 1e-4);
}

int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }
