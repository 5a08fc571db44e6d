// The character tokenizer of Caduceus/HyenaDNA: [CLS]=0 [SEP]=1 [BOS]=2 [MASK]=3 [PAD]=4
// [RESERVED]=5 [UNK]=6, then tokenizer_config.json's `characters` from id 7 (default A C G T N).
// Soft-masked lower case maps like upper case; IUPAC ambiguity codes (R Y S W K M B D H V) map to N;
// anything else maps to [UNK] and is counted.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace ms {

class Tokenizer {
public:
    static constexpr int32_t kCls = 0, kSep = 1, kBos = 2, kMask = 3, kPad = 4, kReserved = 5, kUnk = 6;
    static constexpr int32_t kFirstCharacter = 7;

    // Reads `dir/tokenizer_config.json` when present, else the default characters.
    // Fails when the vocabulary lacks any of A, C, G, T or does not fit `vocab_size`.
    static Result<Tokenizer> load(const std::string& dir, int vocab_size);
    static Tokenizer default_dna();

    // Appends one id per base of `seq` to `out`; returns how many bases became [UNK].
    size_t encode(std::string_view seq, std::vector<int32_t>& out) const;
    int32_t id_of(char base) const { return table_[static_cast<unsigned char>(base)]; }
    // Ids of A, C, G, T: the columns of per-position base probabilities.
    std::array<int32_t, 4> acgt_ids() const { return acgt_; }
    const std::vector<char>& characters() const { return characters_; }

private:
    // `source` names where the characters came from, for messages.
    static Result<Tokenizer> from_characters(const std::vector<char>& chars, const std::string& source,
                                             int vocab_size);

    std::array<int32_t, 256> table_{};
    std::array<int32_t, 4> acgt_{};
    std::vector<char> characters_;
};

}  // namespace ms
