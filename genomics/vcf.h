// VCF/BCF variant records through htslib: plain, bgzip or BCF; all records in file order or those
// overlapping a region (through the .tbi/.csi index); REF checked against the reference FASTA,
// with the outcome kept on every record so a mismatching variant is reported, never silently
// scored or dropped.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/error.h"
#include "genomics/fasta.h"
#include "genomics/locus.h"

namespace ms {

// What the reference FASTA says about a record's REF.
enum class RefCheck {
    unchecked,                // no reference given
    match,                    // REF equals the reference bases (case ignored: soft-masking is not a mismatch)
    mismatch,                 // the reference holds other bases (VariantRecord::reference_bases)
    contig_not_in_reference,  // the record's contig is not a FASTA record
    past_reference_end,       // REF runs past the end of the FASTA record
};
const char* to_string(RefCheck check);

struct VariantRecord {
    std::string contig;
    int64_t pos = 0;                  // 0-based position of REF's first base (VCF POS − 1)
    std::string id;                   // "." when missing
    std::string ref;
    std::vector<std::string> alts;    // in file order; empty when ALT is "."
    RefCheck ref_check = RefCheck::unchecked;
    std::string reference_bases;      // the FASTA's bases at [pos, end()) on a mismatch
    int64_t end() const { return pos + int64_t(ref.size()); }
};

class VcfReader {
public:
    // Opens `path` and reads its header. Fails when the file is missing or not VCF/BCF.
    static Result<VcfReader> open(const std::string& path);
    ~VcfReader();
    VcfReader(VcfReader&&) noexcept;
    VcfReader& operator=(VcfReader&&) noexcept;

    const std::string& path() const { return path_; }
    bool is_bcf() const;
    // The header's ##contig lines, in order; length 0 where a line gives none.
    const std::vector<SequenceRecord>& contigs() const { return contigs_; }
    const std::vector<std::string>& samples() const { return samples_; }

    // From now on, checks the REF of each record read against `reference` (which must outlive
    // the reader); nullptr stops checking.
    void check_ref_against(const FastaFile* reference);

    // The contigs a region may name when no reference gives them: the header's ##contig lines,
    // then those only the index knows (a VCF without ##contig lines, as some callers write);
    // a length the header does not give is kUnknownLength. Fails as query() does without an index
    // (`locus`: the region as typed, for that message).
    Result<std::vector<SequenceRecord>> region_contigs(const std::string& locus);

    // Restricts reading to records overlapping `region`, through the index beside the file
    // (.tbi or .csi for bgzip VCF, .csi for BCF). Fails, saying how to make one, when there is none.
    Result<void> query(const Region& region);

    // Reads the next record into `out`: true when one was read, false at the end of the file or
    // region. A malformed record is an error naming the file, the line (text VCF read in order) or
    // record number, and what is wrong; reading should stop there.
    Result<bool> next(VariantRecord& out);

private:
    VcfReader() = default;
    Result<void> load_index(const std::string& what);  // `what`: the operation, for messages
    struct Impl;
    std::string path_;
    std::unique_ptr<Impl> impl_;
    std::vector<SequenceRecord> contigs_;
    std::vector<std::string> samples_;
};

}  // namespace ms
