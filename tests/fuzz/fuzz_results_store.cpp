// libFuzzer target: a results database of arbitrary bytes, opened read-only as `info`, `export` and
// the GUI's browser open one, then read through every listing: runs, sequences, tracks (a window of
// each track's bins and values, which decodes tiles), predictions, variants, embeddings, counts and
// the integrity check that decodes every tile; then read-write, as a job given the file opens it. Corrupt or foreign files must give error values.
#include <cstdint>

#include "genomics/results_store.h"
#include "tests/fuzz/fuzz_files.h"

namespace {

void read_everything(const ms::ResultsStore& store) {
    (void)store.counts();
    auto runs = store.list_runs();
    if (!runs) return;
    for (const ms::RunRecord& run : *runs) {
        auto seqs = store.list_sequences(run.id);
        auto tracks = store.list_tracks(run.id);
        if (seqs && tracks) {
            for (const ms::StoredTrack& t : *tracks) {
                for (const ms::StoredSequence& s : *seqs) {
                    (void)store.read_track(t.id, s.id, 0, s.info.length, 64);
                    (void)store.read_values(t.id, s.id, 0, std::min<int64_t>(s.info.length, 4096));
                }
            }
        }
        (void)store.prediction_classes(run.id);
        ms::PredictionQuery pq;
        pq.run_id = run.id;
        (void)store.query_predictions(pq);
        (void)store.count_predictions(pq);
        ms::VariantQuery vq;
        vq.run_id = run.id;
        (void)store.query_variants(vq);
        if (auto ids = store.list_embedding_ids(run.id))
            for (int64_t id : *ids) (void)store.read_embedding(id);
        (void)store.load_embedding_index(run.id);
    }
    (void)store.integrity_check();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    ms::fuzz::remove_file("results.db-wal");
    ms::fuzz::remove_file("results.db-shm");
    const std::string path = ms::fuzz::write_file("results.db", data, size);
    {
        auto store = ms::ResultsStore::open(path, ms::ResultsStore::Mode::read_only);
        if (store) read_everything(*store);
    }
    // A job given an existing database (`score --db`) opens it read-write, which may migrate it.
    auto store = ms::ResultsStore::open(path, ms::ResultsStore::Mode::read_write);
    if (store) read_everything(*store);
    return 0;
}
