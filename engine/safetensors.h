// safetensors files (8-byte little-endian header length, JSON header, raw data), memory-mapped and
// validated: header length against the file size, every tensor's offsets inside the data section,
// byte count against dtype × shape, no two tensors overlapping. Sharded checkpoints
// (model.safetensors.index.json + shards) are opened as one TensorStore.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/error.h"

namespace ms {

enum class DType { F32, F16, BF16 };
const char* dtype_name(DType t);   // "F32", "F16", "BF16" as safetensors spells them
size_t dtype_size(DType t);

struct TensorView {
    std::string name;
    DType dtype = DType::F32;
    std::vector<int64_t> shape;
    const std::byte* data = nullptr;   // inside the mapping; valid while the owning file lives
    size_t bytes = 0;
    std::string file;                  // the .safetensors file it lives in, for error messages
    int64_t numel() const;
};

// "[128, 16]" — the shape notation of every error message.
std::string shape_string(const std::vector<int64_t>& shape);

class SafetensorsFile {
public:
    static Result<std::unique_ptr<SafetensorsFile>> open(const std::string& path);
    ~SafetensorsFile();
    SafetensorsFile(const SafetensorsFile&) = delete;
    SafetensorsFile& operator=(const SafetensorsFile&) = delete;

    const std::string& path() const { return path_; }
    const std::vector<TensorView>& tensors() const { return tensors_; }
    const std::map<std::string, std::string>& metadata() const { return metadata_; }

private:
    SafetensorsFile() = default;
    std::string path_;
    void* map_ = nullptr;
    size_t map_size_ = 0;
    std::vector<TensorView> tensors_;
    std::map<std::string, std::string> metadata_;
};

// The weight files of a model directory, as TensorStore::open_dir reads them: `model.safetensors`
// where there is one (transformers prefers it too: a folder holding both it and an index gave two
// models), else each shard `model.safetensors.index.json` names, once, sorted. A shard must be a
// file name in the folder ("./x" is read as "x"; a path outside it is refused: its weights would
// escape the model's checksum). What `model_sha256` reads, with the configuration.
struct WeightFiles {
    std::vector<std::string> files;
    std::string index;  // the index file when sharded
};
Result<WeightFiles> weight_files(const std::string& dir);

// All tensors of a model directory: the files of weight_files(dir) (each shard must hold exactly
// the tensors the index says).
class TensorStore {
public:
    static Result<TensorStore> open_dir(const std::string& dir);
    const TensorView* find(const std::string& name) const;   // nullptr when absent
    std::vector<std::string> names() const;
    std::string description() const;   // "model.safetensors" or "3 shards of model.safetensors.index.json"
    const std::string& dir() const { return dir_; }

private:
    std::vector<std::unique_ptr<SafetensorsFile>> files_;
    std::map<std::string, const TensorView*> by_name_;
    std::string description_, dir_;
};

// Converts a tensor of any supported dtype to float32 (F16/BF16 widened exactly).
std::vector<float> to_float32(const TensorView& t);

}  // namespace ms
