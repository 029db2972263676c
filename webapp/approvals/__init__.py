"""后台分类审批: the departments' decisions on their items."""
