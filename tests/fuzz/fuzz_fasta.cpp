// libFuzzer target: a FASTA file of arbitrary bytes through both readers: FastaStream (start to end,
// as `info` and scoring read a genome) and FastaFile (faidx index built beside it, then random
// access). Whatever FastaFile indexes must hand back each record's bases with the stated length.
#include <cstdint>
#include <cstdlib>

#include "genomics/fasta.h"
#include "tests/fuzz/fuzz_files.h"

namespace {

void stream_all(const std::string& path) {
    auto s = ms::FastaStream::open(path);
    if (!s) return;
    std::string chunk;
    while (true) {
        auto more = s->next_record();
        if (!more || !*more) return;
        while (true) {
            auto bases = s->read(chunk, 7);   // small pieces: pieces end inside lines and records
            if (!bases) return;
            if (!*bases) break;
            if (chunk.empty() || chunk.size() > 7) std::abort();
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    ms::fuzz::remove_file("genome.fa.fai");
    ms::fuzz::remove_file("genome.fa.gzi");
    const std::string path = ms::fuzz::write_file("genome.fa", data, size);
    stream_all(path);
    auto f = ms::FastaFile::open(path);
    if (!f) return 0;
    for (const ms::SequenceRecord& r : f->records()) {
        if (r.length < 0) std::abort();
        auto bases = f->fetch_all(r.name);
        if (!bases) continue;   // a read error is an error value, as long as it is not a crash
        if (int64_t(bases->size()) != r.length) std::abort();
        (void)f->mask(r.name, 0, r.length);
        (void)ms::composition(*bases);
    }
    return 0;
}
