// Command line: global options, then a subcommand (server, check-config, push, version).
//
// Exit codes follow sysexits (base/exit_status.h), one per problem in every command: 0 ok, 1 runtime
// failure, 64 usage error, 65 a package that is not a valid zip (push), 78 no usable configuration
// (not found, unreadable, or with errors; check-config included).

#include <unistd.h>

#include <boost/program_options.hpp>
#include <climits>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/exit_status.h"
#include "base/log.h"
#include "base/version_info.h"
#include "config/config.h"
#include "config/config_search.h"
#include "config/web_exposure.h"
#include "fastcgi/listen_socket.h"
#include "fastcgi/master.h"
#include "http/client.h"
#include "publish/online_check.h"
#include "publish/push_command.h"
#include "server/application.h"
#include "openpgp/gnupg.h"
#include "server/signing_keys.h"

namespace po = boost::program_options;
using namespace otr;

namespace {


const char* kUsage =
    "Usage: oci-distribution-terraform-registry [--config FILE] COMMAND [options]\n"
    "\n"
    "Serves Terraform/OpenTofu provider mirrors out of OCI Distribution registries, as a FastCGI\n"
    "application behind a web server (nginx, lighttpd, Apache httpd + mod_fcgid, ...).\n"
    "\n"
    "Commands:\n"
    "  server        run the FastCGI worker pool (or serve the socket a web server handed us)\n"
    "  check-config  validate the configuration and print every problem\n"
    "  push          publish providers and modules into a service's registry (or an OCI image layout)\n"
    "  version       print the version\n"
    "\n"
    "Run 'oci-distribution-terraform-registry COMMAND --help' for a command's options.\n";

std::string executable_dir() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string(".") : exe.parent_path().string();
}

// The configuration file to use, or an explanation of why there is none.
bool locate_config(const std::string& given, std::string& path) {
  if (!given.empty()) {
    path = given;
    return true;
  }
  ConfigSearch search = search_config_file(executable_dir());
  if (search.found.size() == 1) {
    path = search.found.front();
    return true;
  }
  if (search.found.empty() && search.from_environment) {
    std::cerr << "error: the environment variable " << kConfigEnvVar << " names \"" << search.searched.front()
              << "\", which does not exist or is not a file\n";
  } else if (search.found.empty()) {
    std::cerr << "error: no configuration file found. Give one with --config=FILE or the environment variable "
              << kConfigEnvVar << ", or create one of:\n";
    for (const auto& p : search.searched) std::cerr << "  " << p << "\n";
    if (search.config_in_current_directory)
      std::cerr << "(./config.hcl is never read unless named: give --config ./config.hcl to use it)\n";
  } else {
    std::cerr << "error: several configuration files found; keep one or choose with --config=FILE:\n";
    for (const auto& p : search.found) std::cerr << "  " << p << "\n";
  }
  return false;
}

std::string environment(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

void print_diagnostics(const std::vector<Diagnostic>& diagnostics) {
  for (const Diagnostic& d : diagnostics) std::cerr << d.to_string() << "\n";
}

// The configuration to use, located and loaded (warnings are the caller's to show); nullopt after
// printing why there is none.
std::optional<Config> usable_config(const std::string& given, std::string& path) {
  if (!locate_config(given, path)) return std::nullopt;
  try {
    return load_config_file(path);
  } catch (const ConfigError& e) {
    print_diagnostics(e.diagnostics());
    return std::nullopt;
  }
}

// Parses a subcommand's own options; returns false (after printing) on --help or a usage error.
// `extra` adds the command's own options (bool switches and the like) to --help.
bool parse_command_options(const std::string& command, const char* summary, const std::vector<std::string>& args,
                           int& exit_code, const std::function<void(po::options_description&)>& extra = {}) {
  po::options_description options("Options for '" + command + "'");
  options.add_options()("help,h", "show this help");
  if (extra) extra(options);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(options).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "error: " << e.what() << "\n\nUsage: oci-distribution-terraform-registry [--config FILE] " << command
              << "\n";
    exit_code = kExitUsage;
    return false;
  }
  if (vm.count("help")) {
    std::cout << "Usage: oci-distribution-terraform-registry [--config FILE] " << command << "\n\n"
              << summary << "\n\n"
              << options;
    exit_code = 0;
    return false;
  }
  return true;
}

// --online: every service's origin is reached; one line per service, exit 1 when one fails.
int check_online(const Config& config) {
  http_global_init();
  int failed = 0;
  std::vector<OnlineCheck> checks = check_config_online(config, curl_transport());
  for (const OnlineCheck& check : checks) {
    std::cout << check.line << "\n";
    if (!check.ok) ++failed;
  }
  if (failed == 0) return kExitOk;
  std::cerr << "error: " << failed << " of " << checks.size() << " service(s) failed the online check\n";
  return kExitFailure;
}

int command_check_config(const std::string& config_path, bool online) {
  std::string path;
  std::optional<Config> config = usable_config(config_path, path);
  if (!config) return kExitConfig;
  print_diagnostics(config->warnings);
  print_diagnostics(exposed_secret_files(*config, environment("DOCUMENT_ROOT")));
  std::vector<Diagnostic> key_problems = check_signing_keys(*config);  // GnuPG is started here only
  if (!key_problems.empty()) {
    print_diagnostics(key_problems);
    return kExitConfig;
  }
  std::cout << path << ": configuration is valid\n";
  auto line = [](const char* kind, const auto& s, const std::string& extra) {
    std::cout << "  /" << s.name << "/  " << kind << " <- " << s.origin_url
              << (s.name_prefix.empty() ? "" : "/" + s.name_prefix) << (s.proxy_packages ? "  (downloads proxied)" : "")
              << extra << (s.upstream.enabled() ? "  (pull-through from " + s.upstream.url + ")" : "") << "\n";
  };
  for (const auto& m : config->provider_mirrors) line("provider mirror", m, "");
  for (const auto& r : config->provider_registries) line("provider registry", r, "  (signing key " + r.signing_key_file + ")");
  for (const auto& r : config->module_registries) line("module registry", r, "");
  return online ? check_online(*config) : kExitOk;
}

int command_server(const std::string& config_path) {
  std::string path;
  std::optional<Config> config = usable_config(config_path, path);
  if (!config) return kExitConfig;
  log_configure(config->server.log_format);
  for (const Diagnostic& d : config->warnings) log_warning(d.to_string());
  for (const Diagnostic& d : exposed_secret_files(*config, environment("DOCUMENT_ROOT"))) log_warning(d.to_string());
  http_global_init();
  std::filesystem::path absolute = std::filesystem::absolute(path);
  ProcessHooks hooks;
  hooks.on_start = [] { sweep_stale_signing_homes(); };
  hooks.on_worker_gone = [](pid_t pid) { remove_signing_homes_of(pid); };
  hooks.before_abrupt_exit = [] { remove_own_signing_homes(); };
  hooks.check_config = check_signing_keys;
  return run_server(absolute.string(), *config,
                    [](const Config& c) { return std::make_unique<RegistryApp>(c); }, hooks);
}

}  // namespace

// Whether --version comes before the command: after it, it belongs to the command
// (`push provider --from-registry ... --version "~> 1.0"`).
bool version_asked(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--version") return true;
    if (arg == "--config") ++i;  // its value
    else if (!arg.starts_with("-")) return false;  // the command
  }
  return false;
}

int main(int argc, char** argv) {
  po::options_description global("Global options");
  global.add_options()
      ("config", po::value<std::string>()->value_name("FILE"), "configuration file (default: searched, see README)")
      ("help,h", "show this help");
  po::options_description shown("Global options");  // what --help lists: the above, and --version
  shown.add_options()
      ("config", po::value<std::string>()->value_name("FILE"), "configuration file (default: searched, see README)")
      ("help,h", "show this help")
      ("version", "print the version");
  if (version_asked(argc, argv)) {
    std::cout << kProgramName << " " << kVersion << "\n";
    return 0;
  }
  po::options_description hidden;
  hidden.add_options()
      ("command", po::value<std::string>())
      ("args", po::value<std::vector<std::string>>());
  po::options_description all;
  all.add(global).add(hidden);
  po::positional_options_description positional;
  positional.add("command", 1).add("args", -1);

  po::variables_map vm;
  std::vector<std::string> rest;
  try {
    po::parsed_options parsed =
        po::command_line_parser(argc, argv).options(all).positional(positional).allow_unregistered().run();
    po::store(parsed, vm);
    po::notify(vm);
    // Everything after the command (including its options) belongs to the command.
    rest = po::collect_unrecognized(parsed.options, po::include_positional);
    if (!rest.empty() && vm.count("command") && rest.front() == vm["command"].as<std::string>())
      rest.erase(rest.begin());
  } catch (const po::error& e) {
    std::cerr << "error: " << e.what() << "\n\n" << kUsage;
    return kExitUsage;
  }

  std::string command = vm.count("command") ? vm["command"].as<std::string>() : "";
  // A web server that spawns us (mod_fcgid, lighttpd bin-path) may give no arguments at all.
  if (command.empty() && !vm.count("help") && is_listening_socket(STDIN_FILENO)) command = "server";
  if (command.empty()) {
    if (vm.count("help")) {
      std::cout << kUsage << "\n" << shown;
      return 0;
    }
    std::cerr << kUsage << "\n" << shown;
    return kExitUsage;
  }
  if (vm.count("help")) rest.push_back("--help");
  std::string config_path = vm.count("config") ? vm["config"].as<std::string>() : "";
  int exit_code = 0;
  if (command == "version") {
    if (!parse_command_options(command, "Prints the program's version.", rest, exit_code)) return exit_code;
    std::cout << kProgramName << " " << kVersion << "\n";
    return 0;
  }
  if (command == "check-config") {
    bool online = false;
    if (!parse_command_options(command,
                               "Validates the configuration file and prints every problem as file:line:column.\n"
                               "Exits 0 when the file is usable, 78 when it is not (not found, unreadable, or with\n"
                               "errors), 64 for a usage error.\n"
                               "With --online, a valid configuration is then tried against every service's origin:\n"
                               "the registry is reached (DNS, connect, TLS), origin_credentials answer its challenge,\n"
                               "repositories under name_prefix are listed when its _catalog answers, push access is\n"
                               "checked for services with an upstream block (a blob upload started and cancelled,\n"
                               "nothing written), a file:// layout must be readable (writable when importing), and an\n"
                               "upstream's /.well-known/terraform.json must answer. One line per service, no secret\n"
                               "printed; exits 1 when any of it fails.",
                               rest, exit_code,
                               [&](po::options_description& o) {
                                 o.add_options()("online", po::bool_switch(&online),
                                                 "also reach every service's origin and upstream (exit 1 on a failure)");
                               }))
      return exit_code;
    return command_check_config(config_path, online);
  }
  if (command == "server") {
    if (!parse_command_options(command,
                               "Runs the FastCGI server. When started by a web server (mod_fcgid, lighttpd\n"
                               "bin-path, spawn-fcgi) or systemd socket activation it serves the socket it was\n"
                               "given; otherwise it binds server.listen_addr and runs a pool of worker processes.\n"
                               "Signals: TERM/INT drain and stop, HUP reloads the configuration.",
                               rest, exit_code))
      return exit_code;
    return command_server(config_path);
  }
  if (command == "push") {
    return run_push_command(rest, [&]() -> std::optional<Config> {
      std::string path;
      std::optional<Config> config = usable_config(config_path, path);
      if (config) print_diagnostics(config->warnings);
      return config;
    });
  }
  std::cerr << "error: unknown command \"" << command << "\"\n\n" << kUsage;
  return kExitUsage;
}
