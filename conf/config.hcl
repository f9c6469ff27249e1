# oci-distribution-terraform-registry: the configuration `make install` lays out in
# /etc/oci-distribution-terraform-registry/config.hcl (never over an existing one). Edit it, then
# check it as the pool's user, who must be able to read every file it names:
#   sudo -u www-data oci-distribution-terraform-registry check-config
# Every block and attribute is described in the README ("Configuration").

# A provider network mirror at https://<your host>/mirror/.
provider_mirror "mirror" {
  # The OCI Distribution registry holding the packages: its root URL, without /v2/.
  origin_url  = "http://127.0.0.1:5000"
  name_prefix = "terraform-providers"
  # Terraform asks for registry.terraform.io/..., OpenTofu for registry.opentofu.org/...: one copy.
  host_aliases = { "registry.opentofu.org" = "registry.terraform.io" }

  # Downloads through this server, with sealed URLs (needs the secret below):
  # proxy_packages = true
}

server {
  # Where the pool listens when started by hand (`oci-distribution-terraform-registry server`);
  # started by the systemd socket unit, it serves that unit's socket instead.
  listen_addr  = "unix:/run/oci-distribution-terraform-registry/fcgi.sock"
  socket_mode  = "0660"
  socket_group = "www-data"  # the web server's group: its workers must be able to connect

  # The key that seals download URLs, for proxy_packages = true:
  #   openssl rand -hex 32 > /etc/oci-distribution-terraform-registry/secret
  #   chown root:www-data /etc/oci-distribution-terraform-registry/secret
  #   chmod 0640 /etc/oci-distribution-terraform-registry/secret
  # query_string_secret_file = "/etc/oci-distribution-terraform-registry/secret"
}
