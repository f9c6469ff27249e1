# oci-distribution-terraform-registry — plain Makefile (see README.md).
#
#   make              build build/oci-distribution-terraform-registry
#   make unit         build and run the Boost.Test unit tests
#   make check        install test dependencies, then run unit and integration tests
#   make demo         local registry + sample provider + nginx in front; prints how to use it
#   make sanitize     the unit tests built with AddressSanitizer and UndefinedBehaviorSanitizer
#   make fuzz         every libFuzzer target of test/fuzz (clang, ASan, UBSan) for FUZZ_SECONDS each
#                     (default 60); FUZZ_TARGETS="request zip" picks some, FUZZ_JOBS=N runs N at once.
#                     New inputs go to build/fuzz/corpus/TARGET, crashing ones to build/fuzz/crashes/TARGET,
#                     logs to build/fuzz/logs; any crash, leak or UBSan report fails it
#   make fuzz-smoke   the same, FUZZ_SMOKE_SECONDS (default 5) each: part of `make check`
#   make tsan         the unit tests built with ThreadSanitizer: any data race fails the run
#   make install      the binary, a starting configuration (never over an existing one), the
#                     systemd units and the web-server examples, under $(DESTDIR)
#   make deb          the Debian package, build/oci-distribution-terraform-registry_VERSION_ARCH.deb

PROGRAM    := oci-distribution-terraform-registry
PREFIX     ?= /usr/local
BUILD      ?= build
SYSCONFDIR ?= /etc
UNITDIR    ?= $(PREFIX)/lib/systemd/system
DOCDIR     ?= $(PREFIX)/share/doc/$(PROGRAM)

CXX      ?= g++
CXXFLAGS ?= -O2 -g
# `override`: CXXFLAGS=... on the command line adds to these instead of dropping them.
override CXXFLAGS += -std=c++20 -Wall -Wextra -Wpedantic -Werror=return-type -pthread -MMD -MP $(SANITIZE)
override LDFLAGS  += $(SANITIZE)
override CPPFLAGS += -Iinclude $(shell pkg-config --cflags libcurl libcjson openssl libzip 2>/dev/null)
LDLIBS   += -lfcgi -lgpgme $(shell pkg-config --libs libcurl libcjson openssl libzip 2>/dev/null || echo -lcurl -lcjson -lssl -lcrypto -lzip) \
            -lboost_program_options -pthread

# Folders by concern, the same under src/ and include/ (see ARCHITECTURE.md); main.cpp at the top.
AREAS     := base config http oci terraform openpgp upstream server fastcgi publish
SOURCES   := $(foreach a,$(AREAS),$(wildcard src/$(a)/*.cpp)) src/main.cpp
LIB_OBJS  := $(patsubst src/%.cpp,$(BUILD)/obj/%.o,$(filter-out src/main.cpp,$(SOURCES)))
MAIN_OBJ  := $(BUILD)/obj/main.o
TEST_SRCS := $(wildcard test/unit/*.cpp test/unit/*/*.cpp)
TEST_OBJS := $(patsubst test/unit/%.cpp,$(BUILD)/test/%.o,$(TEST_SRCS))

.PHONY: all unit check layers integration acceptance test-tools deps demo install deb clean bench sanitize \
        fuzz fuzz-smoke fuzz-build fuzz-targets tsan
all: $(BUILD)/$(PROGRAM)

$(BUILD)/$(PROGRAM): $(LIB_OBJS) $(MAIN_OBJ)
	$(CXX) $(CXXFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/obj/%.o: src/%.cpp
	@mkdir -p $(dir $@)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) -c -o $@ $<

$(BUILD)/test/%.o: test/unit/%.cpp
	@mkdir -p $(dir $@)
	$(CXX) $(CPPFLAGS) -Itest/unit -DBOOST_TEST_DYN_LINK $(CXXFLAGS) -c -o $@ $<

$(BUILD)/unit-tests: $(LIB_OBJS) $(TEST_OBJS)
	$(CXX) $(CXXFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lboost_unit_test_framework -lz

# The dependency rule between the folders (ARCHITECTURE.md): fails naming the offending include.
layers:
	python3 scripts/check-layers.py

unit: $(BUILD)/unit-tests
	cd test/unit && $(abspath $(BUILD))/unit-tests --log_level=message --report_level=short

# Undefined behaviour (overflow, bad casts) and memory errors fail the run.
sanitize:
	$(MAKE) BUILD=$(BUILD)/sanitize CXXFLAGS="-O1 -g" \
	  SANITIZE="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer" \
	  $(BUILD)/sanitize/unit-tests
	cd test/unit && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  $(abspath $(BUILD))/sanitize/unit-tests --log_level=message --report_level=short

# The fuzz targets (README "Fuzzing"): test/fuzz/TARGET_fuzz.cpp, one per parser of untrusted input,
# with its seeds in test/fuzz/corpus/TARGET and, where it helps, test/fuzz/TARGET.dict. The library
# is built again with clang into $(FUZZ_BUILD), instrumented for libFuzzer, ASan and UBSan.
FUZZ_CXX           ?= clang++-14
FUZZ_BUILD         ?= $(BUILD)/fuzz
FUZZ_SECONDS       ?= 60
FUZZ_SMOKE_SECONDS ?= 5
FUZZ_JOBS          ?= 1
FUZZ_TARGETS       ?= $(patsubst test/fuzz/%_fuzz.cpp,%,$(wildcard test/fuzz/*_fuzz.cpp))
FUZZ_SANITIZE      := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer

fuzz-build:
	$(MAKE) BUILD=$(FUZZ_BUILD) CXX=$(FUZZ_CXX) CXXFLAGS="-O1 -g" SANITIZE="$(FUZZ_SANITIZE)" \
	  FUZZ_TARGETS="$(FUZZ_TARGETS)" fuzz-targets

# Run inside fuzz-build, where $(BUILD) is the fuzz build.
fuzz-targets: $(patsubst %,$(BUILD)/%_fuzz,$(FUZZ_TARGETS))

.PRECIOUS: $(BUILD)/fuzz-obj/%.o
$(BUILD)/fuzz-obj/%.o: test/fuzz/%.cpp
	@mkdir -p $(dir $@)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) -c -o $@ $<

$(BUILD)/%_fuzz: $(BUILD)/fuzz-obj/%_fuzz.o $(LIB_OBJS)
	$(CXX) $(CXXFLAGS) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

fuzz: fuzz-build
	FUZZ_JOBS=$(FUZZ_JOBS) scripts/run-fuzz.sh $(abspath $(FUZZ_BUILD)) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# A crash found once stays found: every seed (crashing inputs once fixed are added to the seeds)
# and a few seconds of fuzzing per target.
fuzz-smoke: fuzz-build
	FUZZ_JOBS=$(FUZZ_JOBS) scripts/run-fuzz.sh $(abspath $(FUZZ_BUILD)) $(FUZZ_SMOKE_SECONDS) $(FUZZ_TARGETS)

# Data races (the calls shared in flight, stale answers and their refresh, pull-through's import
# jobs, the metrics) fail the run at the first report. Its own objects: TSan cannot mix with ASan.
# No thread-leak reports: gpgme runs gpg through an intermediate fork child that _exit()s, where TSan
# reports every finished, not yet joined thread of the parent (a pull-through import waiting to be
# reaped) and fails the child, so gpgme fails; a std::thread cannot leak unseen anyway.
tsan:
	$(MAKE) BUILD=$(BUILD)/tsan CXXFLAGS="-O1 -g" SANITIZE="-fsanitize=thread -fno-omit-frame-pointer" \
	  $(BUILD)/tsan/unit-tests
	cd test/unit && TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 report_thread_leaks=0" \
	  $(abspath $(BUILD))/tsan/unit-tests --log_level=message --report_level=short

# The README's test command: installs what it needs, then runs everything.
check: layers deps
	$(MAKE) -j$(shell nproc) all unit
	$(MAKE) -j$(shell nproc) fuzz-smoke
	scripts/run-integration-tests.sh
	scripts/run-acceptance-tests.sh

integration: all
	scripts/run-integration-tests.sh

# The real OpenTofu CLI through the product (builds and caches the client tools first).
acceptance: all
	scripts/run-acceptance-tests.sh

test-tools:
	scripts/build-test-tools.sh

deps:
	scripts/install-deps.sh

demo: deps
	$(MAKE) all
	python3 scripts/demo.py

bench: all
	python3 bench/run.py

install: $(BUILD)/$(PROGRAM)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(UNITDIR) $(DESTDIR)$(DOCDIR)/examples/shared-hosting
	install -m 0755 $(BUILD)/$(PROGRAM) $(DESTDIR)$(PREFIX)/bin/$(PROGRAM)
	sed 's|/usr/local/bin/$(PROGRAM)|$(PREFIX)/bin/$(PROGRAM)|; s|/etc/$(PROGRAM)/|$(SYSCONFDIR)/$(PROGRAM)/|g' \
	  conf/systemd/$(PROGRAM).service > $(DESTDIR)$(UNITDIR)/$(PROGRAM).service
	chmod 0644 $(DESTDIR)$(UNITDIR)/$(PROGRAM).service
	install -m 0644 conf/systemd/$(PROGRAM).socket $(DESTDIR)$(UNITDIR)/$(PROGRAM).socket
	install -m 0644 conf/nginx.conf conf/nginx-download-offload.conf conf/lighttpd.conf apache-example/$(PROGRAM).conf conf/config.hcl \
	  $(DESTDIR)$(DOCDIR)/examples/
	install -m 0644 apache-example/shared-hosting/.htaccess $(DESTDIR)$(DOCDIR)/examples/shared-hosting/
	install -m 0644 README.md ARCHITECTURE.md $(DESTDIR)$(DOCDIR)/
	test -d $(DESTDIR)$(SYSCONFDIR)/$(PROGRAM) || install -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/$(PROGRAM)
	test -e $(DESTDIR)$(SYSCONFDIR)/$(PROGRAM)/config.hcl || \
	  install -m 0644 conf/config.hcl $(DESTDIR)$(SYSCONFDIR)/$(PROGRAM)/config.hcl

# dpkg-deb, dpkg-shlibdeps and help2man (scripts/install-deps.sh); files in packaging/ (README "Debian package").
deb: $(BUILD)/$(PROGRAM)
	scripts/build-deb.sh $(BUILD)

clean:
	rm -rf $(BUILD)

-include $(LIB_OBJS:.o=.d) $(MAIN_OBJ:.o=.d) $(TEST_OBJS:.o=.d) $(wildcard $(BUILD)/fuzz-obj/*.d)
