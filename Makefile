SHELL := /bin/bash
# scandoc: build, run and test on a Debian machine.
#
#   make run     install what is missing, build, serve conf.example
#   make test    install what is missing, build, run the whole suite
#   make build BUILD=/tmp/b   build elsewhere (module and engine)
#
# The module is built against the nginx that Debian ships: configure is
# run in a copy of nginx-dev's tree with Debian's own flags, so the .so
# loads into /usr/sbin/nginx.

BUILD      ?= $(CURDIR)/build
NGX_SRC    ?= /usr/share/nginx/src
NGX_TREE    = $(BUILD)/nginx
MODULE      = $(NGX_TREE)/objs/ngx_http_scandoc_module.so
ENGINE      = $(BUILD)/scandoc-engine

CC         ?= cc
CFLAGS     ?= -O2 -g -Wall -Wextra -Wno-unused-parameter -Werror=implicit
ENGINE_PKGS = jansson tesseract lept
ENGINE_SRCS = $(wildcard engine/*.c)
ENGINE_HDRS = $(wildcard engine/*.h)
# Every engine file counts for the module too (the module compiles the ones
# `config` names; nginx's own Makefile then rebuilds only what changed).
MODULE_SRCS = config ngx_scandoc_module.c $(wildcard src/*.c src/*.h) \
	          $(ENGINE_SRCS) $(ENGINE_HDRS) redis/scandoc.lua

.PHONY: all deps build module engine run test clean

all: build

deps:
	@tools/install-deps

build: module engine

module: $(MODULE)
engine: $(ENGINE)

$(NGX_TREE)/Makefile: config redis/scandoc.lua
	rm -rf $(NGX_TREE)
	mkdir -p $(BUILD)
	cp -r $(NGX_SRC) $(NGX_TREE)
	cd $(NGX_TREE) && . ./conf_flags && \
	    ./configure "$${NGX_CONF_FLAGS[@]}" \
	        --with-cc-opt="-g -O2 -Wno-deprecated-declarations" \
	        --add-dynamic-module=$(CURDIR) >configure.log 2>&1 \
	    || { tail -30 configure.log; exit 1; }

$(MODULE): $(NGX_TREE)/Makefile $(MODULE_SRCS)
	$(MAKE) -C $(NGX_TREE) -f objs/Makefile modules

$(ENGINE): $(ENGINE_SRCS) $(ENGINE_HDRS)
	mkdir -p $(BUILD)
	$(CC) $(CFLAGS) -o $@ $(ENGINE_SRCS) \
	    $$(pkg-config --cflags $(ENGINE_PKGS) mupdf) \
	    $$(pkg-config --libs $(ENGINE_PKGS)) \
	    $$(pkg-config --static --libs mupdf) -lharfbuzz -lstdc++ -lm

# Both scripts install and build first (with this BUILD), so they also work
# when called directly.  `make test TESTS=t/010-auth.t` runs some files only.
run:
	@BUILD=$(BUILD) tools/run

test:
	@BUILD=$(BUILD) tools/test $(TESTS)

clean:
	rm -rf $(BUILD)
