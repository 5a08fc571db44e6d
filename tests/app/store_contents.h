// What a results database holds, for tests that compare two of them value for value: the one run's
// sequences (length, MD5, finished), track encodings and every stored value as raw bits.
#pragma once

#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "genomics/results_store.h"
#include "tests/common/harness.h"

namespace ms::test {

struct StoreContents {
    std::map<std::string, std::pair<int64_t, std::string>> sequences;   // name → length, md5
    std::map<std::string, std::vector<uint32_t>> values;                 // name/track → raw bits
    std::map<std::string, std::string> encodings;                        // track → encoding
};

inline StoreContents store_contents(const std::filesystem::path& db) {
    auto store = ResultsStore::open(db.string(), ResultsStore::Mode::read_only);
    if (!store) throw Failure{store.error().message};
    auto runs = store->list_runs();
    if (!runs || runs->size() != 1 || (*runs)[0].status != RunStatus::finished)
        throw Failure{"expected one finished run in " + db.string()};
    StoreContents c;
    const int64_t run = (*runs)[0].id;
    const auto tracks = store->list_tracks(run);
    for (const StoredTrack& t : *tracks) c.encodings[t.name] = describe(t.encoding);
    const auto seqs = store->list_sequences(run);
    for (const StoredSequence& s : *seqs) {
        if (!s.complete) throw Failure{s.info.name + " not complete in " + db.string()};
        c.sequences[s.info.name] = {s.info.length, s.info.md5};
        for (const StoredTrack& t : *tracks) {
            auto v = store->read_values(t.id, s.id, 0, s.info.length);
            if (!v) throw Failure{v.error().message};
            std::vector<uint32_t> bits(v->size());
            std::memcpy(bits.data(), v->data(), v->size() * 4);
            c.values[s.info.name + "/" + t.name] = std::move(bits);
        }
    }
    return c;
}

}  // namespace ms::test
