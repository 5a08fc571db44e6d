#include "app/neighbours_command.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <optional>

#include "app/export_source.h"
#include "app/job_common.h"
#include "common/atomic_file.h"
#include "genomics/embeddings_knn.h"

namespace ms {

void add_neighbours_options(CLI::App* sub, NeighboursOptions& o) {
    sub->add_option("--db", o.db, "results database")->required()->check(CLI::ExistingFile);
    sub->add_option("--run", o.run, "the run whose embeddings are searched (needed when the database holds several)");
    sub->add_option("--item", o.item, "the query: an item with one embedding (a read, or a record embedded whole)");
    sub->add_option(
        "--locus", o.locus,
        "the query: the window of the run whose span is the locus, else the one window that holds its first base "
        "(chr:start-end, 1-based)");
    sub->add_option("--k", o.k, "neighbours to list, the query itself not counted")
        ->capture_default_str()
        ->check(CLI::Range(1, 10000));
    refuse_empty_path(sub->add_option("--out", o.out, "write the table to this file instead of the terminal"));
}

Result<std::string> run_neighbours(const NeighboursOptions& o) {
    if (o.item.empty() == o.locus.empty())
        return make_error("give the query as --item NAME or as --locus LOCUS (one of them)");
    auto opened = open_export_source(o.db, o.run, o.locus, "--locus");
    if (!opened) return opened.error();
    const ExportSource& src = *opened;
    std::vector<int64_t> ids;
    MS_ASSIGN(ids, src.store.list_embedding_ids(src.run.id));
    if (ids.empty())
        return make_error(src.describe_run(),
                          " holds no embeddings (they are written by `embed` and `classify --embeddings`)");
    // The query: the one embedding of the item, or the window holding the locus's first base.
    std::vector<StoredEmbedding> matches;
    const int64_t seq = src.region ? src.sequence(src.region->contig)->id : 0;
    for (int64_t id : ids) {
        StoredEmbedding se;
        MS_ASSIGN(se, src.store.read_embedding(id));
        const Embedding& e = se.e;
        const bool hit = src.region ? e.sequence_id == seq && e.begin <= src.region->begin && src.region->begin < e.end
                                    : e.item == o.item;
        if (hit) matches.push_back(std::move(se));
    }
    if (matches.empty())
        return make_error(src.describe_run(), " has no embedding ",
                          src.region ? cat("that holds ",
                                           format_locus({src.region->contig, src.region->begin, src.region->begin + 1}))
                                     : cat("of an item named '", o.item, "'"));
    // Overlapping windows all hold the locus's first base: the one whose span the locus names exactly
    // is the query (a window could not be named at all where every base of it had two windows).
    if (matches.size() > 1 && src.region) {
        const auto exact = std::find_if(matches.begin(), matches.end(), [&](const StoredEmbedding& se) {
            return se.e.begin == src.region->begin && se.e.end == src.region->end;
        });
        if (exact != matches.end()) matches = {std::move(*exact)};
    }
    if (matches.size() > 1) {
        std::string spans;
        for (size_t i = 0; i < matches.size() && i < 5; ++i) {
            const Embedding& e = matches[i].e;
            spans += cat(i ? ", " : "", e.sequence_id ? format_locus({src.sequence(e.sequence_id)->info.name, e.begin,
                                                                      std::max(e.end, e.begin + 1)})
                                                      : e.item);
        }
        if (matches.size() > 5) spans += ", …";
        return make_error(
            src.describe_run(), ": ", matches.size(), " embeddings ",
            src.region ? "hold that base (overlapping windows)" : cat("are of item '", o.item, "' (its windows)"),
            "; choose one with --locus naming its window exactly (", spans, ")");
    }
    const StoredEmbedding& query = matches.front();

    // Opened before the search: a missing folder was found after the scan.
    if (!o.out.empty()) MS_TRY(refuse_overwriting_inputs(o.out, {o.db}));
    auto out = open_output_now(o.out);
    if (!out) return out.error();
    std::optional<AtomicFile> file = std::move(*out);
    auto index = src.store.load_embedding_index(src.run.id);
    if (!index) return index.error();
    std::vector<Neighbour> near;
    MS_ASSIGN(near, index->nearest(query.e.vector, o.k + 1));
    std::string table =
        cat("# neighbours of ", query.e.item,
            query.e.sequence_id ? cat(" ", format_locus({src.sequence(query.e.sequence_id)->info.name, query.e.begin,
                                                         std::max(query.e.end, query.e.begin + 1)}))
                                : std::string(),
            " (", to_string(query.e.kind), ") among the ", index->size(), " embeddings of ", src.describe_run(),
            ", by cosine similarity\nrank\tcosine\tkind\titem\tsequence\tstart\tend\n");
    int rank = 0;
    for (const Neighbour& n : near) {
        if (n.id == query.id || rank == o.k) continue;
        StoredEmbedding se;
        MS_ASSIGN(se, src.store.read_embedding(n.id));
        const StoredSequence* s = src.sequence(se.e.sequence_id);
        // Start and end as in the embeddings export: 0-based half-open, on the sequence or on the read.
        table += cat(++rank, '\t', n.cosine, '\t', to_string(se.e.kind), '\t', se.e.item, '\t',
                     s ? s->info.name : std::string("*"), '\t', se.e.begin >= 0 ? std::to_string(se.e.begin) : "NA",
                     '\t', se.e.begin >= 0 ? std::to_string(se.e.end) : "NA", '\n');
    }
    if (!file) return table;
    MS_TRY(file->write(table.data(), table.size()));
    MS_TRY(file->commit());
    return cat("neighbours: wrote ", rank, " to ", o.out, "\n");
}

int cmd_neighbours(const NeighboursOptions& o) { return print_or_fail(run_neighbours(o)); }

}  // namespace ms
