#include "app/export_embeddings.h"

#include "app/export_output.h"
#include "app/job_common.h"
#include "common/atomic_file.h"
#include "common/npy.h"

namespace ms {

Result<std::string> export_embeddings(const ExportSource& src, const std::string& out) {
    std::vector<int64_t> ids;
    MS_ASSIGN(ids, src.store.list_embedding_ids(src.run.id));
    if (ids.empty())
        return make_error(src.describe_run(),
                          " holds no embeddings (they are written by `embed` and `classify --embeddings`)");
    const int64_t region_seq = src.region ? src.sequence(src.region->contig)->id : 0;
    std::vector<float> data;
    int64_t dim = -1, rows = 0;
    std::string index = "row\tkind\titem\tsequence\tstart\tend\n";
    for (int64_t id : ids) {
        StoredEmbedding se;
        MS_ASSIGN(se, src.store.read_embedding(id));
        const Embedding& e = se.e;
        if (src.region && (e.sequence_id != region_seq || e.end <= src.region->begin || e.begin >= src.region->end))
            continue;
        if (dim < 0) dim = int64_t(e.vector.size());
        if (int64_t(e.vector.size()) != dim)
            return make_error(src.describe_run(), ": embedding ", id, " ('", e.item, "') has ", e.vector.size(),
                              " dimensions, the ones before it ", dim, "; one array holds vectors of one length");
        data.insert(data.end(), e.vector.begin(), e.vector.end());
        const StoredSequence* seq = src.sequence(e.sequence_id);
        std::string item;
        MS_ASSIGN(item, table_field(e.item, TableSyntax::tsv, "item name"));
        // An item on no sequence (a read) has sequence '*' and its coordinates on the read, as in
        // the predictions export; where the store has none (older databases), NA, as R and pandas
        // read a missing value, not a made-up 0-0.
        const std::string span = e.begin >= 0 ? cat(e.begin, '\t', e.end) : std::string("NA\tNA");
        index += cat(rows, '\t', to_string(e.kind), '\t', item, '\t', seq ? seq->info.name : std::string("*"), '\t',
                     span, '\n');
        ++rows;
    }
    if (dim < 0) {
        // Nothing in the region: an empty array of the run's width, (0, d), so it still stacks
        // with the exports of other regions (it was (0, 0)).
        StoredEmbedding first;
        MS_ASSIGN(first, src.store.read_embedding(ids.front()));
        dim = int64_t(first.e.vector.size());
    }
    // The index is written to the disk in full (flushed and synced: stdio had kept it in memory,
    // so a full disk failed it only after the array was in place, leaving the new array beside the
    // old index) before the array is written and moved into place, and renamed right after it:
    // the pair is replaced together unless the last rename fails.
    auto index_file = AtomicFile::create(out + ".index.tsv");
    if (!index_file) return index_file.error();
    MS_TRY(index_file->write(index.data(), index.size()));
    MS_TRY(index_file->finish_writing());
    MS_TRY(write_npy(out, data.data(), {rows, dim}));
    MS_TRY(index_file->commit());
    return cat(plural(rows, "embedding"), " of ", dim, " dimensions (index: ", out, ".index.tsv)");
}

}  // namespace ms
