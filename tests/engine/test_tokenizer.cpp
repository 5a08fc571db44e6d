// The character tokenizer: default ids, soft-masked and IUPAC bases, [UNK] counting, custom
// character lists from tokenizer_config.json and the errors a bad list gives.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "engine/tokenizer.h"
#include "tests/common/harness.h"

namespace {

namespace fs = std::filesystem;
using ms::Tokenizer;

// A model directory holding only tokenizer_config.json (or nothing, when `json` is empty).
std::string write_tokenizer_dir(const std::string& name, const std::string& json) {
    const std::string dir = std::string(MS_TEST_BINARY_DIR) + "/tokenizer_" + name;
    fs::remove_all(dir);
    fs::create_directories(dir);
    if (!json.empty()) std::ofstream(dir + "/tokenizer_config.json") << json;
    return dir;
}

std::vector<int32_t> encode(const Tokenizer& t, const std::string& seq, size_t* unknown = nullptr) {
    std::vector<int32_t> ids;
    const size_t u = t.encode(seq, ids);
    if (unknown) *unknown = u;
    return ids;
}

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

}  // namespace

MS_TEST(tokenizer_default_ids) {
    const Tokenizer t = Tokenizer::default_dna();
    MS_CHECK(t.characters() == (std::vector<char>{'A', 'C', 'G', 'T', 'N'}));
    MS_CHECK(t.acgt_ids() == (std::array<int32_t, 4>{7, 8, 9, 10}));
    struct Case {
        const char* seq;
        std::vector<int32_t> ids;
        size_t unknown;
    };
    const Case cases[] = {
        {"ACGTN", {7, 8, 9, 10, 11}, 0},
        {"acgtn", {7, 8, 9, 10, 11}, 0},                       // soft-masked maps like upper case
        {"RYSWKMBDHV", std::vector<int32_t>(10, 11), 0},       // IUPAC ambiguity codes -> N
        {"ryswkmbdhv", std::vector<int32_t>(10, 11), 0},
        {"A*C-u.U X", {7, 6, 8, 6, 6, 6, 6, 6, 6}, 7},          // everything else -> [UNK], counted
        {"", {}, 0},
    };
    for (const Case& c : cases) {
        size_t unknown = 99;
        const auto ids = encode(t, c.seq, &unknown);
        MS_CHECK_MSG(ids == c.ids, "'" << c.seq << "'");
        MS_CHECK_MSG(unknown == c.unknown, "'" << c.seq << "': " << unknown << " unknown");
    }
    MS_CHECK_EQ(t.id_of('\0'), Tokenizer::kUnk);
    MS_CHECK_EQ(t.id_of(static_cast<char>(0xC3)), Tokenizer::kUnk);   // bytes >= 128 index the table safely
}

MS_TEST(tokenizer_encode_appends) {
    const Tokenizer t = Tokenizer::default_dna();
    std::vector<int32_t> ids = {Tokenizer::kCls};
    MS_CHECK_EQ(t.encode("GA", ids), size_t(0));
    MS_CHECK(ids == (std::vector<int32_t>{0, 9, 7}));
}

MS_TEST(tokenizer_load_without_file_is_default) {
    auto t = Tokenizer::load(write_tokenizer_dir("none", ""), 16);
    MS_CHECK_MSG(t.ok(), t.error().message);
    MS_CHECK(t->characters() == Tokenizer::default_dna().characters());
    auto k = Tokenizer::load(write_tokenizer_dir("no_key", R"({"model_max_length": 1024})"), 12);
    MS_CHECK_MSG(k.ok(), k.error().message);
    MS_CHECK_EQ(k->id_of('N'), 11);
}

MS_TEST(tokenizer_custom_characters) {
    // No N: ambiguity codes fall to [UNK]. U is a token of its own here. R has its own token and keeps it.
    auto t = Tokenizer::load(write_tokenizer_dir("custom", R"({"characters": ["T", "G", "C", "A", "U"]})"), 12);
    MS_CHECK_MSG(t.ok(), t.error().message);
    MS_CHECK(t->acgt_ids() == (std::array<int32_t, 4>{10, 9, 8, 7}));
    size_t unknown = 0;
    MS_CHECK(encode(*t, "uUaNr", &unknown) == (std::vector<int32_t>{11, 11, 10, 6, 6}));
    MS_CHECK_EQ(unknown, size_t(2));

    auto r = Tokenizer::load(write_tokenizer_dir("custom_r", R"({"characters": ["A", "C", "G", "T", "N", "R"]})"), 13);
    MS_CHECK_MSG(r.ok(), r.error().message);
    MS_CHECK(encode(*r, "RrYy") == (std::vector<int32_t>{12, 12, 11, 11}));
}

MS_TEST(tokenizer_rejects_bad_vocabularies) {
    struct Case {
        const char* name;
        const char* json;
        int vocab_size;
        const char* expected;
    };
    const Case cases[] = {
        {"missing_g", R"({"characters": ["A", "C", "T", "N"]})", 16,
         "tokenizer_config.json: characters lack 'G'; a DNA model needs A, C, G and T"},
        {"too_small", R"({"characters": ["A", "C", "G", "T", "N"]})", 10,
         "the tokenizer needs 12 ids (7 special + 5 characters) but config.json's vocab_size is 10"},
        {"not_one_char", R"({"characters": ["A", "CG", "T"]})", 16,
         "'characters' holds \"CG\"; expected one-character strings"},
        {"not_list", R"({"characters": "ACGT"})", 16, "'characters' is not a list"},
        {"duplicate", R"({"characters": ["A", "C", "G", "T", "a"]})", 16, "characters hold 'a' twice"},
        {"bad_json", R"({"characters": [)", 16, "tokenizer_config.json: not valid JSON"},
        // Another kind of tokenizer: its ids are not the defaults (read as them without a word;
        // found in review).
        {"fast_class", R"({"tokenizer_class": "PreTrainedTokenizerFast"})", 16,
         "no 'characters' list, and the folder has a tokenizer of another kind (tokenizer_class "
         "\"PreTrainedTokenizerFast\")"},
    };
    for (const Case& c : cases) {
        const std::string dir = write_tokenizer_dir(c.name, c.json);
        auto t = Tokenizer::load(dir, c.vocab_size);
        MS_CHECK_MSG(!t.ok(), c.name << ": accepted");
        const std::string& m = t.error().message;
        MS_CHECK_MSG(contains(m, dir + "/tokenizer_config.json"), c.name << ": " << m);
        MS_CHECK_MSG(contains(m, c.expected), c.name << ": " << m << "\n  lacks: " << c.expected);
    }
    {  // no tokenizer_config.json at all, but a vocabulary of another kind beside the weights
        const std::string dir = write_tokenizer_dir("vocab_only", "");
        std::ofstream(dir + "/tokenizer.json") << R"({"model": {"type": "WordLevel", "vocab": {"A": 2}}})";
        auto t = Tokenizer::load(dir, 16);
        MS_CHECK(!t.ok() && contains(t.error().message, "has tokenizer.json but no tokenizer_config.json"));
    }
    {
        const std::string dir = write_tokenizer_dir("vocab_file", R"({"model_max_length": 1024})");
        std::ofstream(dir + "/tokenizer.json") << R"({"model": {"type": "WordLevel", "vocab": {"A": 2}}})";
        auto t = Tokenizer::load(dir, 16);
        MS_CHECK(!t.ok() && contains(t.error().message, "a vocabulary file"));
    }
    // The default characters need 12 ids too.
    auto d = Tokenizer::load(write_tokenizer_dir("default_small", ""), 11);
    MS_CHECK(!d.ok());
    MS_CHECK_MSG(contains(d.error().message, "needs 12 ids"), d.error().message);
}

int main(int argc, char** argv) { return ms::test::run_all(argc, argv); }
