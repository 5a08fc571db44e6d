// Writing a VCF back with INFO fields added: the input's records are copied one by one, in order,
// each with new INFO values (Number=A floats, flags), under a header that declares the new fields
// and describes the job (##key=value lines). `.gz` outputs are bgzip-compressed and indexed
// (.tbi, or .csi when a contig is longer than .tbi can address). Everything is written under a
// temporary name and renamed into place by commit(): a failed job leaves no output file.
//
// The annotator reads the input itself, in step with the caller's VcfReader (which parses and
// checks the records): write_next() is told which record the caller means and refuses to copy
// another. Contigs used by records but missing from the input header (htslib adds them while
// reading, e.g. freebayes' files have no ##contig lines) are declared in the output header, with
// their length from the reference, so the output indexes and parses strictly.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/error.h"
#include "genomics/fasta.h"
#include "genomics/vcf.h"

namespace ms {

struct VcfInfoField {
    std::string id, number, type, description;  // e.g. "MS_LLR", "A", "Float", "..."
};

// One record's value of a field: floats (NaN → missing '.', all missing → field left out) or a flag.
struct VcfInfoValue {
    std::string id;
    std::vector<float> values;
    bool flag = false;
};

class VcfAnnotator {
public:
    // Opens `input` (VCF/BCF, read in file order) and prepares `output` (.vcf, or .vcf.gz/.vcf.bgz:
    // bgzip + index; the suffix in any case). `fields` replace any fields of the same ID in the
    // input, and so do the INFO fields named in `owned`: those an earlier run of the same annotation
    // may have written, whatever its options (any other field is kept: one of the input's own that
    // happens to share a prefix, MS_AF, was dropped). `meta` are header lines of the form
    // "##key=value", replacing lines of the same key. `reference` gives lengths of contigs the
    // header lacks. Contigs and tags the records use but the header does not declare are declared
    // in the output as htslib reads them.
    static Result<VcfAnnotator> create(const std::string& input, const std::string& output,
                                       const std::vector<VcfInfoField>& fields, const std::vector<std::string>& meta,
                                       const std::vector<SequenceRecord>& reference,
                                       const std::vector<std::string>& owned = {});
    ~VcfAnnotator();  // removes the temporary files unless commit() succeeded
    VcfAnnotator(VcfAnnotator&&) noexcept;
    VcfAnnotator& operator=(VcfAnnotator&&) noexcept;

    // Copies the next input record — which must be `expected` (contig, position, REF) — with
    // `info` set on it. Fields of `fields` (and owned ones) not in `info` are removed from the record.
    Result<void> write_next(const VariantRecord& expected, const std::vector<VcfInfoValue>& info);
    // Checks that every input record was copied, closes and indexes the output, and moves it (and
    // its index) into place.
    Result<void> commit();

private:
    VcfAnnotator();
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ms
