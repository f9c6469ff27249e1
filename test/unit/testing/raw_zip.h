// Zips written byte by byte, for the zips no well-behaved writer makes: a name listed many times,
// directory entries sharing one entry's data (overlapping), an entry of zeros that expands a thousand
// times. Local entries are written in order; the central directory lists `directory` (each a name and
// the local entry whose header and data it points at).
#pragma once

#include <zlib.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace otr::testing {

struct RawEntry {
  std::string name;
  std::string data;               // stored as is, unless zeros > 0
  std::uint64_t zeros = 0;        // else: this many zero bytes, deflated (never held in memory)
};

inline void put16(std::string& out, unsigned v) {
  out += static_cast<char>(v & 0xff);
  out += static_cast<char>((v >> 8) & 0xff);
}
inline void put32(std::string& out, std::uint32_t v) {
  put16(out, v & 0xffff);
  put16(out, v >> 16);
}

// Raw deflate of `count` zero bytes, and their CRC-32.
inline std::pair<std::string, std::uint32_t> deflated_zeros(std::uint64_t count) {
  z_stream z{};
  deflateInit2(&z, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
  std::string in(1 << 16, '\0'), out;
  std::string buffer(1 << 16, '\0');
  uLong crc = crc32(0, nullptr, 0);
  std::uint64_t left = count;
  do {
    const uInt n = static_cast<uInt>(std::min<std::uint64_t>(left, in.size()));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(in.data()), n);
    left -= n;
    z.next_in = reinterpret_cast<Bytef*>(in.data());
    z.avail_in = n;
    const int flush = left == 0 ? Z_FINISH : Z_NO_FLUSH;
    do {
      z.next_out = reinterpret_cast<Bytef*>(buffer.data());
      z.avail_out = static_cast<uInt>(buffer.size());
      deflate(&z, flush);
      out.append(buffer.data(), buffer.size() - z.avail_out);
    } while (z.avail_out == 0);
  } while (left > 0);
  deflateEnd(&z);
  return {out, static_cast<std::uint32_t>(crc)};
}

inline std::string raw_zip(const std::vector<RawEntry>& locals,
                           const std::vector<std::pair<std::string, std::size_t>>& directory) {
  struct Written {
    std::uint32_t offset, crc, compressed, size;
    unsigned method;
  };
  std::string out;
  std::vector<Written> written;
  for (const RawEntry& e : locals) {
    Written w{static_cast<std::uint32_t>(out.size()), 0, 0, 0, 0};
    std::string data = e.data;
    if (e.zeros > 0) {
      auto [deflated, crc] = deflated_zeros(e.zeros);
      data = std::move(deflated);
      w = {w.offset, crc, static_cast<std::uint32_t>(data.size()), static_cast<std::uint32_t>(e.zeros), 8};
    } else {
      w = {w.offset, static_cast<std::uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(data.data()),
                                                      static_cast<uInt>(data.size()))),
           static_cast<std::uint32_t>(data.size()), static_cast<std::uint32_t>(data.size()), 0};
    }
    put32(out, 0x04034b50);
    put16(out, 20), put16(out, 0), put16(out, w.method), put16(out, 0), put16(out, 0x21);
    put32(out, w.crc), put32(out, w.compressed), put32(out, w.size);
    put16(out, static_cast<unsigned>(e.name.size())), put16(out, 0);
    out += e.name + data;
    written.push_back(w);
  }
  const auto directory_at = static_cast<std::uint32_t>(out.size());
  for (const auto& [name, local] : directory) {
    const Written& w = written.at(local);
    put32(out, 0x02014b50);
    put16(out, 20), put16(out, 20), put16(out, 0), put16(out, w.method), put16(out, 0), put16(out, 0x21);
    put32(out, w.crc), put32(out, w.compressed), put32(out, w.size);
    put16(out, static_cast<unsigned>(name.size())), put16(out, 0), put16(out, 0), put16(out, 0), put16(out, 0);
    put32(out, 0), put32(out, w.offset);
    out += name;
  }
  const auto directory_size = static_cast<std::uint32_t>(out.size() - directory_at);
  put32(out, 0x06054b50);
  put16(out, 0), put16(out, 0);
  put16(out, static_cast<unsigned>(directory.size())), put16(out, static_cast<unsigned>(directory.size()));
  put32(out, directory_size), put32(out, directory_at), put16(out, 0);
  return out;
}

// Every local entry listed once under its own name.
inline std::string raw_zip(const std::vector<RawEntry>& locals) {
  std::vector<std::pair<std::string, std::size_t>> directory;
  for (std::size_t i = 0; i < locals.size(); ++i) directory.emplace_back(locals[i].name, i);
  return raw_zip(locals, directory);
}

// The zip bomb of the security review: one deflated entry of `zeros` zero bytes, its name listed
// `times` times in the central directory, every listing pointing at the same data.
inline std::string listed_many_times(const std::string& name, std::uint64_t zeros, std::size_t times) {
  return raw_zip({{name, "", zeros}}, std::vector<std::pair<std::string, std::size_t>>(times, {name, 0}));
}

}  // namespace otr::testing
