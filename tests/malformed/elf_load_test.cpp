// load_elf(): placement, protections, contents and the auxv values it
// returns, on the builder's valid image inside a real GuestMemory.
#include <catch2/catch.hpp>

#include <string>

#include "tests/host_perms.h"
#include "tests/malformed/elf_builder.h"
#include "vm/elf_loader.h"

using capvm::testing::ElfBuilder;
using namespace capvm::vm;

namespace {

std::unique_ptr<GuestMemory> make_memory() {
  std::string error;
  auto mem = GuestMemory::create(uint64_t{64} << 20, &error);
  INFO(error);
  REQUIRE(mem);
  return mem;
}

using capvm::testing::host_perms;

}  // namespace

TEST_CASE("load_elf: adjacent segments share a host mapping, each keeps its protection") {
  // Program headers out of address order; read-only, code, then a second
  // read-only segment right after the code, then data: the loader maps the
  // first three as one read-only host run and the data as another.
  auto mem = make_memory();
  auto b = ElfBuilder::valid();
  b.load(2).p_vaddr = 0x3000;  // data moves up a page, with its PT_TLS/PT_DYNAMIC
  b.load(2).p_paddr = 0x3000;
  b.ph[4].p_vaddr = 0x3000;
  b.ph[5].p_vaddr = 0x3008;
  // A read-only segment at 0x2000 (file bytes 0x2000.., all 0x11), listed first.
  b.ph.insert(b.ph.begin() + 1, {PT_LOAD, PF_R, 0x2000, 0x2000, 0x2000, 0x10, 0x1000, 0x1000});
  b.eh.e_phnum = static_cast<uint16_t>(b.ph.size());
  b.ph[0].p_filesz = b.ph[0].p_memsz = b.ph.size() * 56;
  auto bytes = b.build();
  LoadedImage img;
  std::string error;
  REQUIRE(load_elf(bytes.data(), bytes.size(), *mem, &img, &error));
  INFO(error);
  const uint8_t* host = mem->host_base() + img.base;
  CHECK(mem->prot_at(img.base) == kProtRead);
  CHECK(mem->prot_at(img.base + 0x1000) == (kProtRead | kProtExec));
  CHECK(mem->prot_at(img.base + 0x2000) == kProtRead);
  CHECK(mem->prot_at(img.base + 0x3000) == (kProtRead | kProtWrite));
  CHECK(mem->prot_at(img.base + 0x6000) == kProtNone);
  // On the host, translated code's stores must fault on all but the data.
  CHECK(host_perms(host) == "r--p");
  CHECK(host_perms(host + 0x1000) == "r--p");
  CHECK(host_perms(host + 0x2000) == "r--p");
  CHECK(host_perms(host + 0x3000) == "rw-p");
  // Each segment holds its own file bytes, and zeros past its filesz.
  uint8_t code[2], ro[0x20];
  REQUIRE(mem->read(img.base + 0x1000, code, 2) == 0);
  CHECK((code[0] == 0xEB && code[1] == 0xFE));
  REQUIRE(mem->read(img.base + 0x2000, ro, sizeof ro) == 0);
  for (int i = 0; i < 0x10; ++i) CHECK(ro[i] == 0x11);
  for (int i = 0x10; i < 0x20; ++i) CHECK(ro[i] == 0);
  // Only exec pages can be fetched as code.
  CHECK(mem->fetch_code(img.base + 0x1000, code, 2) == 0);
  CHECK(mem->fetch_code(img.base + 0x2000, code, 2) != 0);
  CHECK(mem->fetch_code(img.base, code, 2) != 0);
}

TEST_CASE("load_elf maps every segment with its protection") {
  auto mem = make_memory();
  auto bytes = ElfBuilder::valid().build();
  LoadedImage img;
  std::string error;
  REQUIRE(load_elf(bytes.data(), bytes.size(), *mem, &img, &error));
  CHECK(img.base >= kNullGuardSize);
  CHECK(img.base % 0x1000 == 0);
  CHECK(img.entry == img.base + 0x1000);
  CHECK(img.phdr == img.base + 64);
  CHECK(img.phnum == 6);
  CHECK(img.arch == GuestArch::kX86_64);
  CHECK(img.has_tls);
  CHECK(img.tls_image == img.base + 0x2000);

  CHECK(mem->prot_at(img.base) == kProtRead);
  CHECK(mem->prot_at(img.base + 0x1000) == (kProtRead | kProtExec));
  CHECK(mem->prot_at(img.base + 0x2000) == (kProtRead | kProtWrite));
  CHECK(mem->prot_at(img.base + 0x4fff) == (kProtRead | kProtWrite));
  CHECK(mem->prot_at(img.base + 0x5000) == kProtNone);

  // The ELF header is where AT_BASE says; code and data hold the file bytes;
  // bss is zero.
  uint8_t magic[4];
  REQUIRE(mem->read(img.base, magic, 4) == 0);
  CHECK(magic[0] == 0x7f);
  CHECK(magic[1] == 'E');
  uint8_t code[2];
  REQUIRE(mem->read(img.entry, code, 2) == 0);
  CHECK(code[0] == 0xEB);
  CHECK(code[1] == 0xFE);
  uint8_t data[0x20];
  REQUIRE(mem->read(img.base + 0x2000, data, sizeof data) == 0);
  for (int i = 0; i < 0x10; ++i) CHECK(data[i] == 0x11);
  for (int i = 0x10; i < 0x20; ++i) CHECK(data[i] == 0);
  uint64_t last = 1;
  REQUIRE(mem->read_obj(img.base + 0x4ff8, &last) == 0);
  CHECK(last == 0);
  // Read-only and code pages are not writable by the guest.
  CHECK(mem->write(img.entry, code, 1) != 0);
}

TEST_CASE("load_elf honours large segment alignment") {
  auto mem = make_memory();
  auto b = ElfBuilder::valid(EM_AARCH64);
  for (auto& p : b.ph)
    if (p.p_type == PT_LOAD) p.p_align = 0x10000;
  // Move load 1 and 2 to 64 KiB-congruent places like lld's aarch64 output.
  b.load(1).p_vaddr = 0x11000;
  b.load(2).p_vaddr = 0x22000;
  b.ph[4].p_vaddr = 0x22000;
  b.ph[5].p_vaddr = 0x22008;
  b.eh.e_entry = 0x11000;
  auto bytes = b.build();
  LoadedImage img;
  std::string error;
  REQUIRE(load_elf(bytes.data(), bytes.size(), *mem, &img, &error));
  CHECK(img.base % 0x10000 == 0);
  CHECK(img.arch == GuestArch::kAarch64);
  CHECK(mem->prot_at(img.base + 0x11000) == (kProtRead | kProtExec));
  CHECK(mem->prot_at(img.base + 0x22000) == (kProtRead | kProtWrite));
  // The hole between segments stays reserved, not usable.
  CHECK(mem->prot_at(img.base + 0x5000) == kProtNone);
}

TEST_CASE("load_elf copies program headers that no segment holds") {
  auto mem = make_memory();
  auto b = ElfBuilder::valid();
  b.ph[0].p_type = PT_NULL;   // no PT_PHDR
  b.load(0).p_filesz = 32;    // the table is no longer inside load 0's file bytes
  auto bytes = b.build();
  LoadedImage img;
  std::string error;
  REQUIRE(load_elf(bytes.data(), bytes.size(), *mem, &img, &error));
  CHECK(mem->prot_at(img.phdr) == kProtRead);
  elf::Elf64Phdr first;
  REQUIRE(mem->read_obj(img.phdr, &first) == 0);
  CHECK(first.p_type == PT_NULL);
}

TEST_CASE("load_elf rejects what validate_elf rejects") {
  auto mem = make_memory();
  auto b = ElfBuilder::valid();
  b.load(1).p_flags = PF_R | PF_W | PF_X;
  auto bytes = b.build();
  std::string error;
  CHECK_FALSE(load_elf(bytes.data(), bytes.size(), *mem, nullptr, &error));
  CHECK(error == "segment 2 is both writable and executable");
}

TEST_CASE("load_elf rejects an image larger than the sandbox") {
  std::string error;
  auto mem = GuestMemory::create(uint64_t{1} << 20, &error);
  REQUIRE(mem);
  auto b = ElfBuilder::valid();
  b.load(2).p_memsz = uint64_t{2} << 20;
  auto bytes = b.build();
  CHECK_FALSE(load_elf(bytes.data(), bytes.size(), *mem, nullptr, &error));
  CHECK_THAT(error, Catch::Contains("sandbox"));
}
