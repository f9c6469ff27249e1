// Secret files a web server could hand out as they are: the warning check-config and the server's
// start give for a secret file (Config::secret_files) inside a directory a web server serves.
//
// A directory counts as served when the program can tell, and only then:
// - it is DOCUMENT_ROOT or below it (`document_root`, the environment's DOCUMENT_ROOT: what a web
//   server that spawns the program, like Apache's mod_fcgid, may set), or
// - it, or a directory above it, holds an `.htaccess` file: Apache reads those only in the
//   directories it serves, and shared hosting puts one beside config.hcl (apache-example/shared-hosting).
// The executable's own directory is no evidence by itself (a binary beside its configuration is an
// ordinary layout), nor can the document roots of nginx or lighttpd be seen from here.
// Paths are compared once resolved (symbolic links, "..") where they exist.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"
#include "config/diagnostics.h"

namespace otr {

// One warning per secret file in a served directory, at the attribute that names it, saying which
// directory is served and why. Reads the file system (existence of .htaccess files); throws nothing.
std::vector<Diagnostic> exposed_secret_files(const Config& config, const std::string& document_root);

}  // namespace otr
