// A file cache of synthesised image sets, so that a sweep over bit-widths synthesises once
// per (teacher, method, seed, synthesis config). One file per key under the cache folder;
// written to a temporary file and renamed into place, so a killed run leaves either the
// complete file or none (a stray temporary is ignored and overwritten). Each entry has its
// sha256 beside it (<key>.pt.sha256); an entry that does not match it is synthesised again.
#pragma once
#include <string>

#include "core/data/dataset.h"

namespace dfq {

class ImageCache {
 public:
  // An empty folder disables the cache (load always misses, save does nothing).
  explicit ImageCache(std::string dir) : dir_(std::move(dir)) {}
  bool enabled() const { return !dir_.empty(); }
  std::string path(const std::string& key) const;
  // False when absent, or when the entry fails its checksum (said on stderr; the caller
  // synthesises and saves again); throws CorruptFileError (naming the file to delete) when an
  // entry matching its checksum is still unreadable.
  bool load(const std::string& key, ImageSet& out) const;
  void save(const std::string& key, const ImageSet& set) const;

 private:
  std::string dir_;
};

}  // namespace dfq
