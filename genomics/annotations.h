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

enum class AnnotationFormat { bed, gff3 };

struct Feature {
    Region region;          // 0-based half-open, whatever the file's convention
    std::string type;       // GFF3 column 3 ("gene", "exon", …); "region" for BED
    std::string name;       // GFF3 Name (else ID); BED column 4
    std::string id;         // GFF3 ID; empty for BED
    std::string parent;     // GFF3 Parent
    char strand = '.';
    int64_t line = 0;       // 1-based line in the file (0 for lines found through the index)
};

// BED or GFF3, by the name (.gff, .gff3, .bed, with .gz) or else a "##gff-version" first line.
Result<AnnotationFormat> annotation_format(const std::string& path);

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
