// Exit statuses of every command (sysexits(3) where one fits).
#pragma once

namespace otr {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;   // a runtime failure
inline constexpr int kExitUsage = 64;    // bad arguments or input files
inline constexpr int kExitData = 65;     // a package that is not a valid zip
inline constexpr int kExitConfig = 78;   // no usable configuration: not found, unreadable, with errors

}  // namespace otr
