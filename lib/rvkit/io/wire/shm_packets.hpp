// rvkit io, private: the packets of a shared-memory stream (shm://NAME, docs/protocol.md "Shared
// memory"), as io/shm_transport.cpp sends and checks them, and as tests build them to feed a reader
// packets no real writer sends. Not for tools.
//
// One SOCK_SEQPACKET connection per reader, on the abstract socket "@rvkit-shm/NAME". Writer to reader:
//   S  SegmentPacket, with the segment's memfd attached (SCM_RIGHTS)
//   M  MessagePacket, then the header line (header_len bytes), then an inline payload (records, and
//      payloads up to kInlineMax) when slot is kInline
// Reader to writer, one byte each unless said: N (send the next message), R (ReleasePacket: the slot
// of message msg_no is free again), B (ended: send nothing more), A (send every live frame).
// A slot holds, at its start, the number of the message in it (8 bytes), then at kSlotHeader the payload.
#pragma once
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "rvkit/core/message.hpp"

namespace rvkit::wire::shm {

constexpr uint32_t kInline = UINT32_MAX;  // the slot of a message whose payload is in its packet
constexpr size_t kInlineMax = 32 * 1024;  // payloads up to this size travel in the packet
constexpr size_t kSlotHeader = 64;        // a slot: the number of its message, then the payload
constexpr uint32_t kMaxSlots = 64;
// The largest packet a reader takes; a larger one is an error.
constexpr size_t kMaxPacket = kMaxHeaderBytes + kInlineMax + 256;

enum : uint8_t { kSegment = 'S', kMessage = 'M', kNext = 'N', kRelease = 'R', kBye = 'B', kAll = 'A' };

struct SegmentPacket {
  uint8_t kind = kSegment;
  uint8_t pad[3] = {};
  uint32_t gen = 0;
  uint32_t slots = 0;
  uint32_t pad2 = 0;
  uint64_t stride = 0;      // bytes from one slot to the next
  uint64_t slot_bytes = 0;  // the largest payload a slot holds
};
struct MessagePacket {
  uint8_t kind = kMessage;
  uint8_t pad[3] = {};
  uint32_t gen = 0;
  uint32_t slot = kInline;
  uint32_t header_len = 0;
  uint64_t msg_no = 0;
  uint64_t payload_len = 0;
};
struct ReleasePacket {
  uint8_t kind = kRelease;
  uint8_t pad[7] = {};
  uint64_t msg_no = 0;
};

// Sends one packet of n bytes on `sock`, with the file descriptor `pass_fd` attached (SCM_RIGHTS)
// unless it is negative: what sendmsg() returns.
inline ssize_t send_packet(int sock, const void* packet, size_t n, int pass_fd, int flags) {
  iovec iov{const_cast<void*>(packet), n};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr mh{};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  if (pass_fd >= 0) {
    mh.msg_control = control;
    mh.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
  }
  return sendmsg(sock, &mh, flags);
}

}  // namespace rvkit::wire::shm
