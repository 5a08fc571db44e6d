// The genome view's data sources, read synchronously: the genome (indexed FASTA), reads (BAM/CRAM),
// variants (VCF/BCF), annotations (BED/GFF3) and one results database. load() turns a request (a
// span of a contig in N bins) into ViewData. It runs on the loader's worker thread (track_loader.h)
// in the application and on the main thread in batch mode; one thread at a time, like the readers
// it holds. No Qt here beyond plain types, so the same code serves both.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/error.h"
#include "genomics/alignments.h"
#include "genomics/annotations.h"
#include "genomics/fasta.h"
#include "genomics/locus.h"
#include "genomics/results_store.h"
#include "genomics/vcf.h"
#include "ui/view_data.h"

namespace ms::ui {

// Spans (of a load, i.e. about three screens) beyond which a kind of data is not read: the reference
// bases, single reads, and read coverage (counted from the reads, so it costs reading them).
inline constexpr int64_t kMaxBasesSpan = 200'000;
inline constexpr int64_t kMaxReadsSpan = 100'000;
inline constexpr int64_t kMaxCoverageSpan = 3'000'000;
// Caps on what one load hands to the painter; beyond them the set says it was truncated.
inline constexpr int64_t kMaxReads = 20'000;
inline constexpr int64_t kMaxMarks = 100'000;

// An annotation file loaded whole, shared read-only with the GUI thread (locus search, completion).
using AnnotationsPtr = std::shared_ptr<const AnnotationSet>;

class ViewSource {
public:
    ViewSource();
    ~ViewSource();
    ViewSource(ViewSource&&) noexcept;
    ViewSource& operator=(ViewSource&&) noexcept;

    // Each open replaces the genome or the database, and adds a reads, variants or annotations file.
    // Errors name the file and what it is instead.
    Result<void> openGenome(const std::string& path);
    Result<void> openReads(const std::string& path);
    Result<void> openVariants(const std::string& path);
    Result<AnnotationsPtr> openAnnotations(const std::string& path);
    Result<void> openDatabase(const std::string& path);

    // The contigs to navigate: the genome's, else the database's sequences, else the reads' header.
    ContigList contigs() const;
    std::vector<AnnotationsPtr> annotations() const;

    // Reference bases of a region (for "copy sequence").
    Result<std::string> fetchBases(const Region& region) const;

    // The data of `request`; `superseded` is asked now and then during long reads and a true
    // answer ends the load early (its result is then dropped by the caller anyway).
    ViewData load(const ViewRequest& request, const std::function<bool()>& superseded = {}) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ms::ui
