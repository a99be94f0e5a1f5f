"""Calendar over CalDAV (RFC 4791): any server such as Nextcloud, Fastmail, iCloud or Radicale."""
