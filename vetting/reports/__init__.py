"""Period reports for the provincial Department of Science and Technology."""
