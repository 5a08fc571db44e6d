// Not a test: how fast a chromosome streams from bgzip FASTA into token batches (issue 5: the input
// side must never limit a GPU run; target >= 200 Mbp/s), beside `samtools faidx` extracting the
// same sequence in the same run. Usage:
//   bench_fasta_stream hs37chrXtrunc.fa.gz WORK_DIR
// The gzip input (smalt-examples) is recompressed to bgzip in WORK_DIR first (not timed).
#include <htslib/bgzf.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "genomics/fasta.h"
#include "genomics/fasta_stream.h"

namespace {

// A/C/G/T/N (either case) -> 0..4, everything else -> 4 (N): the tokenizer's alphabet.
constexpr std::array<uint8_t, 256> make_codes() {
    std::array<uint8_t, 256> t{};
    for (auto& v : t) v = 4;
    t['A'] = t['a'] = 0;
    t['C'] = t['c'] = 1;
    t['G'] = t['g'] = 2;
    t['T'] = t['t'] = 3;
    return t;
}
constexpr std::array<uint8_t, 256> kCodes = make_codes();

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

int die(const std::string& m) {
    std::fprintf(stderr, "error: %s\n", m.c_str());
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) return die("usage: bench_fasta_stream INPUT.fa.gz WORK_DIR");
    const std::string input = argv[1];
    const std::string bgz = (std::filesystem::path(argv[2]) / "bench_chrom.fa.bgz").string();
    std::filesystem::create_directories(argv[2]);
    if (!std::filesystem::exists(bgz)) {
        BGZF* in = bgzf_open(input.c_str(), "r");
        BGZF* out = bgzf_open(bgz.c_str(), "w");
        if (!in || !out) return die("cannot open " + input + " or " + bgz);
        std::vector<char> buf(1 << 20);
        ssize_t n;
        while ((n = bgzf_read(in, buf.data(), buf.size())) > 0)
            if (bgzf_write(out, buf.data(), size_t(n)) != n) return die("cannot write " + bgz);
        if (n < 0 || bgzf_close(in) != 0 || bgzf_close(out) != 0) return die("cannot recompress " + input);
    }
    auto fa = ms::FastaFile::open(bgz);   // builds .fai and .gzi (not timed)
    if (!fa) return die(fa.error().message);
    const std::string record = fa->records().front().name;
    const int64_t length = fa->records().front().length;
    std::printf("input %s: record %s, %lld bp, bgzip\n\n", bgz.c_str(), record.c_str(), static_cast<long long>(length));
    std::printf("%-44s %10s %10s\n", "reader", "seconds", "Mbp/s");

    for (int threads : {0, 1}) {
        double best = 1e30;
        int64_t bases = 0, checksum = 0;
        for (int rep = 0; rep < 3; ++rep) {
            const auto t0 = std::chrono::steady_clock::now();
            auto s = ms::FastaStream::open(bgz, threads);
            if (!s) return die(s.error().message);
            std::string chunk;
            std::vector<uint8_t> tokens;
            bases = checksum = 0;
            while (true) {
                auto more = s->next_record();
                if (!more) return die(more.error().message);
                if (!*more) break;
                while (true) {
                    auto got = s->read(chunk, size_t(1) << 20);   // 1 Mbp token batches
                    if (!got) return die(got.error().message);
                    if (!*got) break;
                    tokens.resize(chunk.size());
                    for (size_t i = 0; i < chunk.size(); ++i) tokens[i] = kCodes[static_cast<unsigned char>(chunk[i])];
                    bases += int64_t(tokens.size());
                    checksum += tokens[tokens.size() / 2];   // keeps the loop from being optimised away
                }
            }
            best = std::min(best, seconds_since(t0));
        }
        char label[64];
        std::snprintf(label, sizeof label, "FastaStream -> 1 Mbp token batches, %d thr+", threads);
        std::printf("%-44s %10.3f %10.1f   (checksum %lld)\n", label, best, double(bases) / best / 1e6,
                    static_cast<long long>(checksum));
    }
    {
        const auto t0 = std::chrono::steady_clock::now();
        auto all = fa->fetch_all(record);
        if (!all) return die(all.error().message);
        const double t = seconds_since(t0);
        std::printf("%-44s %10.3f %10.1f\n", "FastaFile::fetch_all (htslib faidx)", t, double(all->size()) / t / 1e6);
    }
    if (std::system("command -v samtools >/dev/null 2>&1") == 0) {
        const std::string cmd = "samtools faidx '" + bgz + "' '" + record + "' > /dev/null";
        double best = 1e30;
        for (int rep = 0; rep < 3; ++rep) {
            const auto t0 = std::chrono::steady_clock::now();
            if (std::system(cmd.c_str()) != 0) return die("samtools faidx failed");
            best = std::min(best, seconds_since(t0));
        }
        std::printf("%-44s %10.3f %10.1f\n", "samtools faidx (same record, to /dev/null)", best, double(length) / best / 1e6);
    } else {
        std::printf("samtools is not installed: no comparison (apt-get install samtools)\n");
    }
    return 0;
}
