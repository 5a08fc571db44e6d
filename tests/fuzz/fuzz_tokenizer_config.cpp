// libFuzzer target: tokenizer_config.json of arbitrary bytes. Whatever Tokenizer::load accepts must
// give A, C, G and T distinct ids below the vocabulary size, and encode any byte to an id below it.
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>

#include "engine/tokenizer.h"
#include "tests/fuzz/fuzz_files.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    ms::fuzz::write_file("tokenizer_config.json", data, size);
    // 16: the test fixtures' vocabulary; 300: room for every byte as a character.
    for (const int vocab : {16, 300}) {
        auto t = ms::Tokenizer::load(ms::fuzz::scratch_dir(), vocab);
        if (!t) continue;
        const auto acgt = t->acgt_ids();
        if (std::set<int32_t>(acgt.begin(), acgt.end()).size() != 4) std::abort();
        std::string all(256, '\0');
        for (int c = 0; c < 256; ++c) all[size_t(c)] = static_cast<char>(c);
        std::vector<int32_t> ids;
        t->encode(all, ids);
        for (int32_t id : ids)
            if (id < 0 || id >= vocab) std::abort();
    }
    return 0;
}
