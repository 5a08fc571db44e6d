# Bad input, table-driven: each case runs `mambascope-cli info ... -o OUT` on a broken file and
# must exit 1 with exactly one line on stderr, "error: ..." naming the file, the record or line,
# and what was expected (REGEX), and must leave no OUT behind. Small broken files are written
# here into the build tree; binary ones (truncated bgzip and BAM, random bytes) are committed in
# tests/data/genomics/bad/ (README there). Included from tests/app/CMakeLists.txt.
set(bad "${CMAKE_CURRENT_BINARY_DIR}/bad")
set(bad_data "${PROJECT_SOURCE_DIR}/tests/data/genomics/bad")
set(tiny "${PROJECT_SOURCE_DIR}/tests/data/genomics/freebayes_tiny")
file(MAKE_DIRECTORY "${bad}" "${bad}/folder.fa")
function(ms_cli_bad name regex)
  set(out "${bad}/${name}.out")
  add_test(NAME cli_bad_${name} COMMAND "${CMAKE_COMMAND}" "-DEXPECT_RC=1" "-DREGEX=${regex}" "-DABSENT=${out}"
           "-DONE_ERROR_LINE=ON" "-DARGS=info;${ARGN};-o;${out}" -P "${CMAKE_CURRENT_SOURCE_DIR}/run_cli.cmake")
  set_tests_properties(cli_bad_${name} PROPERTIES LABELS unit ENVIRONMENT "CLI=${cli}")
endfunction()

# FASTA
file(WRITE "${bad}/empty.fa" "")
ms_cli_bad(fasta_empty "FASTA '.*/empty\\.fa' is empty; expected records starting with a '>' header line" "${bad}/empty.fa")
file(WRITE "${bad}/noheader.fa" "ACGTACGT\nACGT\n")
ms_cli_bad(fasta_no_header "FASTA '.*/noheader\\.fa' line 1: expected a '>' header line, found \"ACGTACGT\"" "${bad}/noheader.fa")
ms_cli_bad(fasta_binary_garbage "FASTA '.*/garbage\\.fa' line 1: expected a '>' header line, found \"R\\\\x07" "${bad_data}/garbage.fa")
ms_cli_bad(fasta_truncated_bgzip "'.*/truncated\\.fa\\.gz' has no bgzip end-of-file marker: it is truncated \\(was the copy or download interrupted\\?\\)"
           "${bad_data}/truncated.fa.gz")
file(WRITE "${bad}/ragged.fa" ">chr1\nACGTACGT\nACGTACGT\nACGT\nACGTACGT\n")
ms_cli_bad(fasta_ragged_lines "FASTA '.*/ragged\\.fa' record 'chr1' line 5: 8 bases after line 4 of 4; every line of a record but the last must have the same length"
           "${bad}/ragged.fa")
file(WRITE "${bad}/long_line.fa" ">chr1\nACGT\nACGTACGT\n")
ms_cli_bad(fasta_line_longer_than_first "record 'chr1' line 3: 8 bases, more than the 4 of the record's first line" "${bad}/long_line.fa")
file(WRITE "${bad}/blank_inside.fa" ">chr1\nACGT\n\nACGT\n")
ms_cli_bad(fasta_blank_line_inside_record "record 'chr1' line 4: 4 bases after line 3 of 0 \\(blank\\)" "${bad}/blank_inside.fa")
file(WRITE "${bad}/dup.fa" ">a\nAC\n>b\nGG\n>a\nTT\n")
ms_cli_bad(fasta_duplicate_name "FASTA '.*/dup\\.fa' line 5: record name 'a' was already used at line 1" "${bad}/dup.fa")
file(WRITE "${bad}/badbyte.fa" ">chr1\nACGT\nAC7T\n")
ms_cli_bad(fasta_bad_byte "FASTA '.*/badbyte\\.fa' record 'chr1' line 3: unexpected byte '7' in column 3; expected bases" "${bad}/badbyte.fa")
string(ASCII 13 cr)
file(WRITE "${bad}/stray_cr.fa" ">chr1\nAC${cr}GT\n")
ms_cli_bad(fasta_stray_carriage_return "record 'chr1' line 2: a carriage return \\(\\\\r\\) inside the line" "${bad}/stray_cr.fa")
string(REPEAT "A" 1100000 huge)
file(WRITE "${bad}/huge_header.fa" ">${huge}")
ms_cli_bad(fasta_enormous_header_line "FASTA '.*/huge_header\\.fa' line 1: the '>' header line is longer than 1 MiB" "${bad}/huge_header.fa")
# A .fai written for another file: record 'y' does not start where the index says.
file(WRITE "${bad}/stale.fa" ">x\nACGT\n>y\nGGGG\n")
file(WRITE "${bad}/stale.fa.fai" "x\t4\t3\t4\t5\ny\t4\t14\t4\t5\n")
ms_cli_bad(fasta_index_not_matching "FASTA index '.*/stale\\.fa\\.fai' does not match '.*/stale\\.fa': record 'y'" "${bad}/stale.fa" --region y)
file(WRITE "${bad}/empty_last.fa" ">a\nACGT\n>e2\n")
ms_cli_bad(fasta_empty_last_record "FASTA '.*/empty_last\\.fa' ends with record 'e2', which has no bases; the index \\(htslib\\) cannot be built over a file whose last record is empty"
           "${bad}/empty_last.fa" --region a)
ms_cli_bad(fasta_is_a_folder "cannot read FASTA '.*/folder\\.fa': it is a folder, not a file" "${bad}/folder.fa")
# Running as root (as CI does) makes chmod 000 readable, so unreadable is tested as a link to nothing.
file(CREATE_LINK "${bad}/nowhere.fa" "${bad}/dangling.fa" SYMBOLIC)
ms_cli_bad(fasta_dangling_link "cannot open FASTA '.*/dangling\\.fa': No such file or directory" "${bad}/dangling.fa")
ms_cli_bad(locus_past_contig_end "--region for '.*/q\\.fa': locus 'q:12,000-13,000'.* past the end of contig 'q'" "${tiny}/q.fa" --region q:12,000-13,000)
ms_cli_bad(locus_unknown_contig "--region for '.*/q\\.fa': locus 'chrZ:1-10': unknown contig 'chrZ'" "${tiny}/q.fa" --region chrZ:1-10)

# SAM/BAM/CRAM
ms_cli_bad(bam_truncated "BAM '.*/truncated\\.bam' has no end-of-file marker: it is truncated" "${bad_data}/truncated.bam")
configure_file("${tiny}/NA12878.chr22.tiny.bam" "${bad}/noindex.bam" COPYONLY)
ms_cli_bad(bam_region_without_index "cannot query q:1-100 in BAM '.*/noindex\\.bam': no index \\(.*\\.bai or \\.csi\\) was found beside it; make one with `samtools index"
           "${bad}/noindex.bam" --region q:1-100)
ms_cli_bad(bam_region_unknown_contig "--region for '.*/NA12878\\.chr22\\.tiny\\.bam': locus 'chr1': unknown contig 'chr1'"
           "${tiny}/NA12878.chr22.tiny.bam" --region chr1)
# A reference without the CRAM's contigs: htslib went to the network for them (found in review).
ms_cli_bad(cram_reference_lacks_contig "the reference '.*/hla\\.fa' has no contig '[^']+', which CRAM '.*/NA12878\\.chr22\\.tiny\\.cram' names"
           "${tiny}/NA12878.chr22.tiny.cram" --reference "${tiny}/hla.fa")
ms_cli_bad(cram_without_reference "cannot decode CRAM '.*/NA12878\\.chr22\\.tiny\\.cram' after record 0: it needs the reference FASTA it was compressed against \\(or the file is truncated or corrupt\\): give it with --reference"
           "${tiny}/NA12878.chr22.tiny.cram")
file(WRITE "${bad}/malformed.sam" "@SQ\tSN:q\tLN:100\nread1\t0\tq\tten\t60\t4M\t*\t0\t0\tACGT\tIIII\n")
ms_cli_bad(sam_malformed_line "cannot read SAM '.*/malformed\\.sam' after record 0: a malformed line" "${bad}/malformed.sam")

# VCF
set(vcf_head "##fileformat=VCFv4.2\n##contig=<ID=q,length=12356>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
file(WRITE "${bad}/malformed.vcf" "${vcf_head}q\t100\t.\tA\tG\t50\tPASS\t.\nq\t200\t.\tA\n")
ms_cli_bad(vcf_malformed_line "VCF '.*/malformed\\.vcf' line 5 \\(\"q\t200\t\\.\tA\"\\) is malformed: it has 4 columns; expected at least 8"
           "${bad}/malformed.vcf")
file(WRITE "${bad}/badref.vcf" "${vcf_head}q\t100\t.\tAXZ\tG\t50\tPASS\t.\n")
ms_cli_bad(vcf_ref_not_bases "VCF '.*/badref\\.vcf' line 4 .* is malformed: REF 'AXZ' is not made of nucleotide codes \\(A, C, G, T, N or IUPAC\\)" "${bad}/badref.vcf")
# A device as input (and a pipe, tests/app/CMakeLists.txt): "not a file MambaScope reads" before.
ms_cli_bad(input_is_a_device "'/dev/null' is a device, not a file: inputs are read more than once" /dev/null)
# ALT as strictly as REF: 'G1A' was counted as "not scorable (symbolic, …)" without naming the line.
file(WRITE "${bad}/badalt.vcf" "${vcf_head}q\t100\t.\tA\tG,<DEL>,*,A]q:5],.A,A.\t50\tPASS\t.\nq\t200\t.\tA\tG1A\t50\tPASS\t.\n")
ms_cli_bad(vcf_alt_not_an_allele "VCF '.*/badalt\\.vcf' line 5 .* is malformed: ALT 'G1A' is not an allele: expected nucleotide codes \\(A, C, G, T, N or IUPAC\\), '\\*', a symbolic allele <ID> or a breakend" "${bad}/badalt.vcf")
# q.fa holds 'AT' at 1-2 (not 'GG'): a VCF of another genome.
file(WRITE "${bad}/mismatch.vcf" "${vcf_head}q\t1\t.\tGG\tA\t50\tPASS\t.\n")
ms_cli_bad(vcf_ref_disagrees_with_fasta "VCF '.*/mismatch\\.vcf' record 1 at q:1-2: REF 'GG' but the reference '.*/q\\.fa' has '[ACGTN]+' there; expected the VCF to be called against this reference"
           "${bad}/mismatch.vcf" --reference "${tiny}/q.fa")
ms_cli_bad(vcf_region_not_bgzip "cannot query q:1-100 in VCF '.*/malformed\\.vcf': the file is not bgzip-compressed" "${bad}/malformed.vcf" --region q:1-100)

# FASTQ
file(WRITE "${bad}/short_qual.fq" "@r1\nACGT\n+\nIIII\n@r2\nACGTAC\n+\nIII\n")
ms_cli_bad(fastq_truncated_record "FASTQ '.*/short_qual\\.fq' record 2 \\(line 8\\): the file ends after 3 of 6 quality values" "${bad}/short_qual.fq")
file(WRITE "${bad}/long_qual.fq" "@r1\nACGT\n+\nIIIIII\n")
ms_cli_bad(fastq_quality_longer_than_bases "FASTQ '.*/long_qual\\.fq' record 1 \\(line 4\\): 6 quality values for 4 bases" "${bad}/long_qual.fq")
file(WRITE "${bad}/fasta_as.fq" ">r1\nACGT\n")
ms_cli_bad(fastq_without_at_header "FASTQ '.*/fasta_as\\.fq' record 1 \\(line 1\\): expected an '@' header line, found \">r1\"" "${bad}/fasta_as.fq")

# BED / GFF3
file(WRITE "${bad}/end_before_start.bed" "q\t10\t20\tok\nq\t500\t100\tbackwards\n")
ms_cli_bad(bed_end_before_start "BED '.*/end_before_start\\.bed' line 2: end 100 is before start 500" "${bad}/end_before_start.bed")
file(WRITE "${bad}/other_genome.bed" "chr7\t10\t20\n")
ms_cli_bad(bed_contig_not_in_reference "BED '.*/other_genome\\.bed' line 1: unknown contig 'chr7' \\(the reference has 1 contig: q\\)"
           "${bad}/other_genome.bed" --reference "${tiny}/q.fa")
file(WRITE "${bad}/seven_columns.gff3" "##gff-version 3\nq\tsrc\tgene\t1\t100\t.\t+\t.\tID=g1\nq\tsrc\tgene\t1\t100\t.\t+\n")
ms_cli_bad(gff3_too_few_columns "GFF3 '.*/seven_columns\\.gff3' line 3: has 7 columns; expected 9 tab-separated GFF3 columns" "${bad}/seven_columns.gff3")
file(WRITE "${bad}/zero_start.gff3" "##gff-version 3\nq\tsrc\tgene\t0\t100\t.\t+\t.\tID=g1\n")
ms_cli_bad(gff3_zero_start "GFF3 '.*/zero_start\\.gff3' line 2: start '0' is not a whole number >= 1 \\(GFF3 is 1-based\\)" "${bad}/zero_start.gff3")

# Not a genomics file at all.
file(WRITE "${bad}/notes.txt" "meeting notes, not a genome\n")
ms_cli_bad(unknown_file_type "'.*/notes\\.txt' is not a file MambaScope reads: expected FASTA, FASTQ, SAM/BAM/CRAM, VCF/BCF, BED, GFF3 or GTF" "${bad}/notes.txt")

# An output that is one of the inputs is refused before anything is written (a results database
# exported over itself, a FASTA given as the output, found in review); the input stays as it was.
function(ms_cli_output_over_input name victim)
  add_test(NAME cli_bad_output_over_input_${name} COMMAND "${CMAKE_COMMAND}" "-DEXPECT_RC=1"
           "-DREGEX=error: the output '[^']*${victim}' is the input '[^']*${victim}': writing it would replace the input"
           "-DUNCHANGED=${bad}/${victim}" "-DORIGINAL=${tiny}/q.fa" "-DARGS=${ARGN}" -P "${CMAKE_CURRENT_SOURCE_DIR}/run_cli.cmake")
  set_tests_properties(cli_bad_output_over_input_${name} PROPERTIES LABELS unit ENVIRONMENT "CLI=${cli}")
endfunction()
ms_cli_output_over_input(info victim_info.fa info ${bad}/victim_info.fa -o ${bad}/victim_info.fa)
ms_cli_output_over_input(export victim_export.db export --db ${bad}/victim_export.db --track loglik --out ${bad}/victim_export.db)
ms_cli_output_over_input(forward victim_forward.fa forward --model ${PROJECT_SOURCE_DIR}/resources/models/mambascope-dna-small --fasta ${bad}/victim_forward.fa --logits ${bad}/victim_forward.fa)
ms_cli_output_over_input(mutagenesis victim_mut.fa mutagenesis --fasta ${bad}/victim_mut.fa --region q:1-10 --db ${bad}/mut.db
                         --out ${bad}/victim_mut.fa)
ms_cli_output_over_input(variants victim_var.vcf variants --fasta ${tiny}/q.fa --vcf ${bad}/victim_var.vcf --db ${bad}/var.db
                         --out ${bad}/victim_var.vcf)
# The same path for a database the job creates and its table: the table replaced the database
# just written (found in review); refused before anything is written.
add_test(NAME cli_bad_mutagenesis_table_over_new_db COMMAND "${CMAKE_COMMAND}" "-DEXPECT_RC=1"
         "-DREGEX=error: the output '[^']*new_mut\\.db' is the input '[^']*new_mut\\.db'"
         "-DABSENT=${bad}/new_mut.db" "-DARGS=mutagenesis;--fasta;${tiny}/q.fa;--region;q:1-10;--db;${bad}/new_mut.db;--out;${bad}/new_mut.db"
         -P "${CMAKE_CURRENT_SOURCE_DIR}/run_cli.cmake")
set_tests_properties(cli_bad_mutagenesis_table_over_new_db PROPERTIES LABELS unit ENVIRONMENT "CLI=${cli}")
# A database that cannot be opened (its folder is missing) is refused before the scoring, and the
# table is not written: it was found only after the work, with the table already there.
add_test(NAME cli_bad_mutagenesis_db_checked_first COMMAND "${CMAKE_COMMAND}" "-DEXPECT_RC=1"
         "-DREGEX=error: [^\n]*no_such_folder/m\\.db"
         "-DABSENT=${bad}/mut_first.tsv" "-DARGS=mutagenesis;--fasta;${tiny}/q.fa;--region;q:1-10;--db;${bad}/no_such_folder/m.db;--out;${bad}/mut_first.tsv"
         -P "${CMAKE_CURRENT_SOURCE_DIR}/run_cli.cmake")
set_tests_properties(cli_bad_mutagenesis_db_checked_first PROPERTIES LABELS unit ENVIRONMENT "CLI=${cli}")
# A .bcf output name over VCF text (found in review) is refused before anything runs.
add_test(NAME cli_bad_variants_bcf_output COMMAND "${CMAKE_COMMAND}" "-DEXPECT_RC=1"
         "-DREGEX=error: --out '[^']*out\\.bcf': variants writes VCF \\(\\.vcf, or \\.vcf\\.gz with a tabix index\\), not BCF"
         "-DABSENT=${bad}/out.bcf" "-DARGS=variants;--fasta;${tiny}/q.fa;--vcf;${tiny}/q.vcf.gz;--out;${bad}/out.bcf"
         -P "${CMAKE_CURRENT_SOURCE_DIR}/run_cli.cmake")
set_tests_properties(cli_bad_variants_bcf_output PROPERTIES LABELS unit ENVIRONMENT "CLI=${cli}")
