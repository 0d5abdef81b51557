// SHA-256 (FIPS 180-4, from OpenSSL) for the integrity checks of teachers and caches.
#pragma once
#include <string>

namespace dfq {

std::string sha256_hex(const std::string& bytes);
std::string sha256_file(const std::string& path);

}  // namespace dfq
