// Annotations for display: BED (0-based half-open; name in column 4, strand in column 6) and GFF3
// (1-based inclusive; Name and ID from column 9), from small plain or gzip files read whole, or
// from bgzip files through their tabix index one region at a time. Features are searchable by a
// piece of their Name or ID, as a genome browser's search box finds genes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "genomics/locus.h"

namespace ms {

enum class AnnotationFormat { bed, gff3, gtf };

struct Feature {
    Region region;          // 0-based half-open, whatever the file's convention
    std::string type;       // GFF3/GTF column 3 ("gene", "exon", …); "region" for BED
    std::string name;       // GFF3 Name (else ID); GTF gene_name (else gene_id); BED column 4
    std::string id;         // GFF3 ID; GTF gene_id of a gene, transcript_id of a transcript; empty for BED
    std::string parent;     // GFF3 Parent; GTF gene_id of a transcript, transcript_id of its parts
    char strand = '.';
    int64_t line = 0;       // 1-based line in the file (0 for lines found through the index)
};

// BED, GFF3 or GTF: by the name (.bed, .gff3, .gtf, each with .gz/.bgz/.bgzf), else by the content:
// a "##gff-version" line is GFF3; nine tab-separated columns whose last holds `key "value";` pairs
// are GTF (also under a .gff name, as Ensembl's GTF is often named); else BED.
Result<AnnotationFormat> annotation_format(const std::string& path);
const char* annotation_format_name(AnnotationFormat f);  // "BED", "GFF3", "GTF"

class AnnotationSet {
public:
    // Every feature of `path` (plain, gzip or bgzip). With `contigs`, each contig must be in it.
    static Result<AnnotationSet> load(const std::string& path, const ContigList& contigs = {});
    // The features overlapping `region`, through the tabix index beside a bgzip file.
    static Result<AnnotationSet> load_region(const std::string& path, const Region& region);

    AnnotationFormat format() const { return format_; }
    const std::vector<Feature>& features() const { return features_; }
    std::vector<const Feature*> overlapping(const Region& region) const;
    // Features whose Name or ID holds `text` (case ignored), exact matches first, at most `limit`.
    std::vector<const Feature*> find(std::string_view text, size_t limit = 50) const;

private:
    AnnotationFormat format_ = AnnotationFormat::bed;
    std::vector<Feature> features_;
};

}  // namespace ms
