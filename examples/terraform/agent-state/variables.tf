variable "table_name" {
  description = "Name of the agent-state table."
  type        = string
  default     = "agent-state"
}

variable "tags" {
  description = "Tags for the table."
  type        = map(string)
  default     = {}
}

variable "enable_stream" {
  description = "Turn on the table's stream (NEW_AND_OLD_IMAGES), for ddb::streams consumers such as flag caches."
  type        = bool
  default     = false
}
