// The character tokenizer: a 256-entry table built once, so encoding a chromosome is one lookup per base.
#include "engine/tokenizer.h"

#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "common/ascii.h"
#include "engine/json_file.h"

namespace ms {

using nlohmann::json;

namespace {

const std::vector<char> kDefaultCharacters = {'A', 'C', 'G', 'T', 'N'};

// The `characters` list of tokenizer_config.json; the defaults when the key is absent.
Result<std::vector<char>> read_characters(const std::string& path) {
    auto parsed = read_json_file(path);
    if (!parsed) return parsed.error();
    const json root = std::move(*parsed);
    if (!root.is_object()) return make_error(path, ": not a JSON object");
    const auto it = root.find("characters");
    if (it == root.end()) {
        // A folder that carries a vocabulary of another kind (a tokenizer.json, a tokenizer class)
        // was read with the default ids without a word; only a config without either means them.
        const std::string dir = path.substr(0, path.rfind('/'));
        struct stat st {};
        const bool vocab_file = ::stat((dir + "/tokenizer.json").c_str(), &st) == 0 ||
                                ::stat((dir + "/vocab.txt").c_str(), &st) == 0 ||
                                ::stat((dir + "/vocab.json").c_str(), &st) == 0;
        const auto cls = root.find("tokenizer_class");
        if (vocab_file || (cls != root.end() && cls->is_string() && cls->get<std::string>() != "CharacterTokenizer"))
            return make_error(
                path, ": no 'characters' list, and the folder has a tokenizer of another kind (",
                vocab_file ? "a vocabulary file" : cat("tokenizer_class ", cls->dump()),
                "); MambaScope reads a character tokenizer: add \"characters\": [\"A\", \"C\", \"G\", ",
                "\"T\", \"N\"] in the order of the model's ids 7, 8, … (docs/models.md) — the defaults would ",
                "give the model other ids than it was trained with");
        return kDefaultCharacters;
    }
    if (!it->is_array()) return make_error(path, ": 'characters' is not a list");
    std::vector<char> out;
    for (const json& c : *it) {
        if (!c.is_string() || c.get<std::string>().size() != 1)
            return make_error(path, ": 'characters' holds ", c.dump(), "; expected one-character strings");
        out.push_back(c.get<std::string>()[0]);
    }
    return out;
}

}  // namespace

Result<Tokenizer> Tokenizer::load(const std::string& dir, int vocab_size) {
    const std::string path = dir + "/tokenizer_config.json";
    struct stat st{};
    if (::stat(path.c_str(), &st) != 0) {
        // Another kind of tokenizer beside the weights: its ids are not the defaults.
        for (const char* other : {"tokenizer.json", "vocab.txt", "vocab.json"})
            if (::stat((dir + "/" + other).c_str(), &st) == 0)
                return make_error(
                    "model folder '", dir, "' has ", other, " but no tokenizer_config.json with a ",
                    "'characters' list; MambaScope reads a character tokenizer: add tokenizer_config.json ",
                    "with \"characters\": [\"A\", \"C\", \"G\", \"T\", \"N\"] in the order of the model's ids 7, 8, … ",
                    "(docs/models.md) — the defaults would give the model other ids than it was trained with");
        return from_characters(kDefaultCharacters, cat("the default characters (no '", path, "')"), vocab_size);
    }
    auto chars = read_characters(path);
    if (!chars) return chars.error();
    return from_characters(*chars, path, vocab_size);
}

Tokenizer Tokenizer::default_dna() {
    auto t = from_characters(kDefaultCharacters, "the default tokenizer", kFirstCharacter + 5);
    assert(t.ok());
    return std::move(*t);
}

Result<Tokenizer> Tokenizer::from_characters(const std::vector<char>& chars, const std::string& source,
                                             int vocab_size) {
    Tokenizer t;
    t.characters_ = chars;
    t.table_.fill(kUnk);
    for (size_t i = 0; i < chars.size(); ++i) {
        const int32_t id = kFirstCharacter + static_cast<int32_t>(i);
        if (t.table_[static_cast<unsigned char>(chars[i])] != kUnk)
            return make_error(source, ": characters hold '", chars[i], "' twice (upper and lower case count as one)");
        t.table_[static_cast<unsigned char>(ascii_upper(chars[i]))] = id;
        t.table_[static_cast<unsigned char>(ascii_lower(chars[i]))] = id;
    }
    const char acgt[4] = {'A', 'C', 'G', 'T'};
    for (int i = 0; i < 4; ++i) {
        t.acgt_[i] = t.id_of(acgt[i]);
        if (t.acgt_[i] == kUnk)
            return make_error(source, ": characters lack '", acgt[i], "'; a DNA model needs A, C, G and T");
    }
    // IUPAC ambiguity codes say "one of several bases": N is the model's word for that.
    const int32_t n_id = t.id_of('N');
    if (n_id != kUnk) {
        for (char c : std::string("RYSWKMBDHV")) {
            if (t.id_of(c) != kUnk) continue;   // a model with its own token for the code keeps it
            t.table_[static_cast<unsigned char>(c)] = n_id;
            t.table_[static_cast<unsigned char>(ascii_lower(c))] = n_id;
        }
    }
    const int needed = kFirstCharacter + static_cast<int>(chars.size());
    if (needed > vocab_size)
        return make_error(source, ": the tokenizer needs ", needed, " ids (", kFirstCharacter, " special + ",
                          chars.size(), " characters) but config.json's vocab_size is ", vocab_size);
    return t;
}

size_t Tokenizer::encode(std::string_view seq, std::vector<int32_t>& out) const {
    size_t unknown = 0;
    out.reserve(out.size() + seq.size());
    for (char c : seq) {
        const int32_t id = table_[static_cast<unsigned char>(c)];
        unknown += id == kUnk;
        out.push_back(id);
    }
    return unknown;
}

}  // namespace ms
