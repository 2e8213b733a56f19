"""The property service company (物业服务企业)."""
