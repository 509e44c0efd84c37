// validate_elf(): one test per rejection listed in SECURITY.md ("Malformed
// input", ELF) plus the valid image each one starts from.
#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <random>

#include "tests/malformed/elf_builder.h"
#include "vm/elf_loader.h"

using capvm::testing::ElfBuilder;
using capvm::vm::ElfInfo;
using capvm::vm::GuestArch;
using capvm::vm::validate_elf;

namespace {

std::string reject(const std::vector<uint8_t>& bytes) {
  std::string error;
  ElfInfo info;
  bool ok = validate_elf(bytes.data(), bytes.size(), &info, &error);
  if (ok) return "(accepted)";
  REQUIRE_FALSE(error.empty());
  REQUIRE(error.find('\n') == std::string::npos);
  return error;
}

std::string reject(const ElfBuilder& b) { return reject(b.build()); }

}  // namespace

TEST_CASE("valid x86_64 image is accepted") {
  auto bytes = ElfBuilder::valid().build();
  ElfInfo info;
  std::string error;
  REQUIRE(validate_elf(bytes.data(), bytes.size(), &info, &error));
  CHECK(info.arch == GuestArch::kX86_64);
  CHECK(info.entry == 0x1000);
  CHECK(info.loads.size() == 3);
  CHECK(info.span_start == 0);
  CHECK(info.span_end == 0x5000);
  CHECK(info.max_align == 0x1000);
  CHECK(info.phdr_in_image);
  CHECK(info.phdr_vaddr == 64);
  CHECK(info.has_tls);
  CHECK(info.tls.memsz == 0x10);
  CHECK(info.has_dynamic);
  CHECK(info.loads[1].prot == (capvm::vm::kProtRead | capvm::vm::kProtExec));
  CHECK(info.loads[2].prot == (capvm::vm::kProtRead | capvm::vm::kProtWrite));
}

TEST_CASE("valid aarch64 image is accepted") {
  auto bytes = ElfBuilder::valid(EM_AARCH64).build();
  ElfInfo info;
  std::string error;
  REQUIRE(validate_elf(bytes.data(), bytes.size(), &info, &error));
  CHECK(info.arch == GuestArch::kAarch64);
}

TEST_CASE("program headers found through a load segment without PT_PHDR") {
  auto b = ElfBuilder::valid();
  b.ph[0].p_type = PT_NULL;
  auto bytes = b.build();
  ElfInfo info;
  std::string error;
  REQUIRE(validate_elf(bytes.data(), bytes.size(), &info, &error));
  CHECK(info.phdr_in_image);
  CHECK(info.phdr_vaddr == 64);
}

TEST_CASE("empty and short files") {
  CHECK_THAT(reject(std::vector<uint8_t>{}), Catch::Contains("empty"));
  CHECK_THAT(reject(std::vector<uint8_t>{0x7f, 'E', 'L'}), Catch::Contains("not an ELF"));
  CHECK_THAT(reject(std::vector<uint8_t>{0x7f, 'E', 'L', 'F', 2, 1, 1}), Catch::Contains("too short"));
  CHECK(validate_elf(nullptr, 0, nullptr, nullptr) == false);
}

TEST_CASE("ELF header fields") {
  auto b = ElfBuilder::valid();
  SECTION("magic") { b.eh.e_ident[1] = 'X'; CHECK_THAT(reject(b), Catch::Contains("not an ELF")); }
  SECTION("class") { b.eh.e_ident[EI_CLASS] = ELFCLASS32; CHECK_THAT(reject(b), Catch::Contains("64-bit")); }
  SECTION("endianness") { b.eh.e_ident[EI_DATA] = ELFDATA2MSB; CHECK_THAT(reject(b), Catch::Contains("little-endian")); }
  SECTION("ident version") { b.eh.e_ident[EI_VERSION] = 0; CHECK_THAT(reject(b), Catch::Contains("version")); }
  SECTION("e_version") { b.eh.e_version = 2; CHECK_THAT(reject(b), Catch::Contains("version")); }
  SECTION("osabi") { b.eh.e_ident[EI_OSABI] = 0; CHECK_THAT(reject(b), Catch::Contains("CloudABI")); }
  SECTION("type") { b.eh.e_type = ET_EXEC; CHECK_THAT(reject(b), Catch::Contains("ET_DYN")); }
  SECTION("machine") { b.eh.e_machine = EM_386; CHECK_THAT(reject(b), Catch::Contains("machine")); }
  SECTION("phentsize") { b.eh.e_phentsize = 32; CHECK_THAT(reject(b), Catch::Contains("entry size")); }
  SECTION("phnum zero") { b.eh.e_phnum = 0; CHECK_THAT(reject(b), Catch::Contains("no program headers")); }
  SECTION("phnum huge") { b.eh.e_phnum = 0xffff; CHECK_THAT(reject(b), Catch::Contains("too many")); }
  SECTION("table past end") {
    b.eh.e_phoff = b.file_size - 100;
    CHECK_THAT(reject(b), Catch::Contains("past the end"));
  }
  SECTION("table offset overflows") {
    b.eh.e_phoff = ~uint64_t{0} - 8;
    CHECK_THAT(reject(b), Catch::Contains("past the end"));
  }
}

TEST_CASE("load segment fields") {
  auto b = ElfBuilder::valid();
  SECTION("alignment not a power of two") {
    b.load(1).p_align = 0x1800;
    CHECK_THAT(reject(b), Catch::Contains("segment 2 has alignment"));
  }
  SECTION("alignment below a page") {
    b.load(1).p_align = 0x100;
    CHECK_THAT(reject(b), Catch::Contains("alignment"));
  }
  SECTION("offset and address not congruent") {
    b.load(1).p_vaddr = 0x1100;
    CHECK_THAT(reject(b), Catch::Contains("congruent"));
  }
  SECTION("filesz larger than memsz") {
    b.load(2).p_memsz = 0x8;
    CHECK_THAT(reject(b), Catch::Contains("file size larger"));
  }
  SECTION("file bytes past the end") {
    b.load(2).p_filesz = 0x20;
    CHECK_THAT(reject(b), Catch::Contains("past the end of the file"));
  }
  SECTION("offset + filesz overflows") {
    b.load(2).p_offset = ~uint64_t{0} - 0xfff;  // congruent to vaddr 0x2000 mod 4096
    b.load(2).p_vaddr = 0x2000;
    CHECK_THAT(reject(b), Catch::Contains("past the end of the file"));
  }
  SECTION("vaddr + memsz overflows") {
    b.load(2).p_vaddr = ~uint64_t{0} - 0xfff;
    b.load(2).p_offset = 0;  // congruent: the address is page aligned
    b.load(2).p_filesz = 0;
    CHECK_THAT(reject(b), Catch::Contains("outside the sandbox"));
  }
  SECTION("beyond the sandbox") {
    b.load(2).p_vaddr = uint64_t{1} << 32;
    CHECK_THAT(reject(b), Catch::Contains("outside the sandbox"));
  }
  SECTION("beyond a smaller sandbox") {
    auto bytes = b.build();
    std::string error;
    CHECK_FALSE(validate_elf(bytes.data(), bytes.size(), nullptr, &error, 0x4000));
    CHECK_THAT(error, Catch::Contains("outside the sandbox"));
  }
  SECTION("writable and executable") {
    b.load(1).p_flags = PF_R | PF_W | PF_X;
    CHECK(reject(b) == "segment 2 is both writable and executable");
  }
  SECTION("overlapping segments") {
    b.load(2).p_vaddr = 0x1000;
    b.load(2).p_offset = 0x1000;
    CHECK_THAT(reject(b), Catch::Contains("overlaps"));
  }
  SECTION("segments sharing a page overlap") {
    // load 1 ends at 0x2000 exactly; moving load 2 to 0x1ff0 shares a page.
    b.load(2).p_vaddr = 0x1ff0;
    b.load(2).p_offset = 0x1ff0;
    b.load(2).p_filesz = 0;
    CHECK_THAT(reject(b), Catch::Contains("overlaps"));
  }
  SECTION("no load segment") {
    for (auto& p : b.ph) p.p_type = PT_NULL;
    CHECK_THAT(reject(b), Catch::Contains("no loadable segment"));
  }
  SECTION("entry point outside every segment") {
    b.eh.e_entry = 0x100000;
    CHECK_THAT(reject(b), Catch::Contains("entry point"));
  }
  SECTION("entry point in data") {
    b.eh.e_entry = 0x2000;
    CHECK_THAT(reject(b), Catch::Contains("entry point"));
  }
  SECTION("no executable segment") {
    b.eh.e_entry = 0x2000;
    b.load(1).p_flags = PF_R;  // no executable segment at all
    CHECK_THAT(reject(b), Catch::Contains("entry point"));
  }
}

TEST_CASE("segments pointing into the image") {
  auto b = ElfBuilder::valid();
  SECTION("TLS outside every load") {
    b.ph[4].p_vaddr = 0x9000;
    CHECK_THAT(reject(b), Catch::Contains("TLS"));
  }
  SECTION("TLS with only zero-initialized data may lie outside (lld's .tbss)") {
    b.ph[4].p_vaddr = 0x9000;
    b.ph[4].p_filesz = 0;
    CHECK(reject(b) == "(accepted)");
  }
  SECTION("TLS size overflows") {
    b.ph[4].p_filesz = 0;
    b.ph[4].p_memsz = ~uint64_t{0};
    CHECK_THAT(reject(b), Catch::Contains("TLS"));
  }
  SECTION("TLS file bytes past the end") {
    b.ph[4].p_offset = 0x100000;
    CHECK_THAT(reject(b), Catch::Contains("past the end"));
  }
  SECTION("two TLS segments") {
    b.ph[5] = b.ph[4];
    CHECK_THAT(reject(b), Catch::Contains("more than one TLS"));
  }
  SECTION("dynamic outside every load") {
    b.ph[5].p_vaddr = 0x5000;
    CHECK_THAT(reject(b), Catch::Contains("dynamic"));
  }
  SECTION("PT_PHDR outside every load") {
    b.ph[0].p_vaddr = 0x7000;
    CHECK_THAT(reject(b), Catch::Contains("program header"));
  }
  SECTION("interpreter") {
    b.ph[5].p_type = PT_INTERP;
    CHECK_THAT(reject(b), Catch::Contains("PT_INTERP"));
  }
}

TEST_CASE("every truncation of a valid image is rejected") {
  auto bytes = ElfBuilder::valid().build();
  for (size_t len = 0; len < bytes.size(); ++len) {
    std::string error;
    bool ok = validate_elf(bytes.data(), len, nullptr, &error);
    if (ok) FAIL("truncated to " << len << " bytes was accepted");
    REQUIRE_FALSE(error.empty());
  }
}

TEST_CASE("random corruption of the headers never crashes") {
  const auto good = ElfBuilder::valid().build();
  std::mt19937_64 rng(12345);
  size_t accepted = 0;
  for (int round = 0; round < 20000; ++round) {
    auto bytes = good;
    int flips = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < flips; ++k) {
      size_t at = rng() % (64 + 6 * 56);
      bytes[at] = static_cast<uint8_t>(rng());
    }
    size_t len = (rng() % 8 == 0) ? rng() % bytes.size() : bytes.size();
    ElfInfo info;
    std::string error;
    if (validate_elf(bytes.data(), len, &info, &error)) {
      ++accepted;
      // Whatever was accepted satisfies the invariants the loader relies on.
      REQUIRE(info.span_end <= capvm::vm::kMaxSandboxSize);
      for (const auto& s : info.loads) {
        REQUIRE(s.offset + s.filesz <= len);
        REQUIRE(s.filesz <= s.memsz);
        REQUIRE_FALSE(((s.prot & capvm::vm::kProtWrite) && (s.prot & capvm::vm::kProtExec)));
      }
    } else {
      REQUIRE_FALSE(error.empty());
    }
  }
  CHECK(accepted > 0);  // some flips hit padding or harmless fields
}

TEST_CASE("the real guest examples validate") {
  const char* names[] = {"hello.x86_64", "hello.aarch64"};
  for (const char* name : names) {
    std::string path = std::string(CAPVM_EXAMPLES_DIR) + "/" + name;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      WARN("skipped: " << path << " not built");
      continue;
    }
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ElfInfo info;
    std::string error;
    INFO(path << ": " << error);
    CHECK(validate_elf(bytes.data(), bytes.size(), &info, &error));
    CHECK(info.phdr_in_image);
  }
}
