"""一套材料: the applicant's uploaded files, stored in the database."""
