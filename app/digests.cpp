#include "app/digests.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "engine/safetensors.h"

namespace ms {

namespace {

namespace fs = std::filesystem;

std::string to_hex(const unsigned char* d, unsigned n) {
    static const char* digits = "0123456789abcdef";
    std::string s(size_t(n) * 2, '0');
    for (unsigned i = 0; i < n; ++i) {
        s[2 * i] = digits[d[i] >> 4];
        s[2 * i + 1] = digits[d[i] & 15];
    }
    return s;
}

struct Ctx {
    EVP_MD_CTX* p = EVP_MD_CTX_new();
    ~Ctx() { EVP_MD_CTX_free(p); }
};

}  // namespace

Result<std::string> model_sha256(const std::string& model_dir) {
    // The weight files the model is loaded from, no others: a stray file beside them changed the
    // checksum, and a shard named outside the folder escaped it.
    auto weights = weight_files(model_dir);
    if (!weights) return weights.error();
    std::error_code ec;
    // The configuration and the tokenizer's alphabet change the outputs as much as the weights do
    // (a class list reordered, a norm's epsilon), so a resumed or merged run must match them too.
    const fs::path dir(model_dir);
    std::vector<std::string> paths{(dir / "config.json").string()};
    if (fs::exists(dir / "tokenizer_config.json", ec)) paths.push_back((dir / "tokenizer_config.json").string());
    for (const std::string& f : weights->files) paths.push_back(f);
    return files_sha256(paths);
}

Result<std::string> files_sha256(const std::vector<std::string>& files) {
    Ctx ctx;
    if (!ctx.p || EVP_DigestInit_ex(ctx.p, EVP_sha256(), nullptr) != 1) return make_error("OpenSSL: SHA-256 unavailable");
    std::vector<char> buf(size_t(1) << 20);
    for (const std::string& f : files) {
        std::FILE* in = std::fopen(f.c_str(), "rb");
        if (!in) return make_error("cannot read '", f, "' to checksum it");
        size_t n;
        while ((n = std::fread(buf.data(), 1, buf.size(), in)) > 0) EVP_DigestUpdate(ctx.p, buf.data(), n);
        const bool bad = std::ferror(in);
        std::fclose(in);
        if (bad) return make_error("read error in '", f, "' while checksumming it");
    }
    std::array<unsigned char, EVP_MAX_MD_SIZE> d{};
    unsigned len = 0;
    EVP_DigestFinal_ex(ctx.p, d.data(), &len);
    return to_hex(d.data(), len);
}

struct SequenceMd5::Impl {
    Ctx ctx;
    std::string upper;
};

SequenceMd5::SequenceMd5() : impl_(std::make_unique<Impl>()) { EVP_DigestInit_ex(impl_->ctx.p, EVP_md5(), nullptr); }
SequenceMd5::~SequenceMd5() = default;

void SequenceMd5::update(std::string_view bases) {
    impl_->upper.assign(bases);
    for (char& c : impl_->upper)
        if (c >= 'a' && c <= 'z') c = char(c - 32);
    EVP_DigestUpdate(impl_->ctx.p, impl_->upper.data(), impl_->upper.size());
}

std::string SequenceMd5::hex() {
    std::array<unsigned char, EVP_MAX_MD_SIZE> d{};
    unsigned len = 0;
    EVP_DigestFinal_ex(impl_->ctx.p, d.data(), &len);
    return to_hex(d.data(), len);
}

void release_thread_crypto_state() { OPENSSL_thread_stop(); }

}  // namespace ms
